package io.agentmesh.relay.tls;

import io.agentmesh.protocol.identity.SigningKey;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;
import java.util.Date;

/**
 * The self-signed X.509 certificate of an Ed25519 key that both kinds of TLS here present (a node to its peers, a
 * relay to nodes). Whoever checks it looks only at the key inside, never at names or dates, so it is valid from a day
 * before now for 100 years; made once per process with a random serial, so two runs never present the same bytes. It
 * is signed with Bouncy Castle's Ed25519 by the protocol module's key; the JDK's SunEC makes the handshake signatures,
 * through {@link #jdkPrivateKey}, a private key object built from the same seed.
 */
public final class SelfSignedEd25519 {
    private static final long CERT_BACKDATE_MS = 24L * 3600 * 1000;
    private static final long CERT_LIFETIME_MS = 100L * 365 * 24 * 3600 * 1000;

    private SelfSignedEd25519() {
    }

    /** A certificate of {@code key} naming {@code commonName}, valid from a day before {@code nowMillis}. */
    public static X509Certificate certificate(SigningKey key, String commonName, long nowMillis, SecureRandom random)
            throws IOException, CertificateException {
        X500Name name = new X500Name("CN=" + commonName);
        SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(subjectPublicKeyInfo(key));
        BigInteger serial = new BigInteger(127, random).add(BigInteger.ONE);
        byte[] der = new X509v3CertificateBuilder(name, serial, new Date(nowMillis - CERT_BACKDATE_MS),
                new Date(nowMillis + CERT_LIFETIME_MS), name, spki)
                .build(new Ed25519Signer(key))
                .getEncoded();
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der));
    }

    /** {@code key} as the JDK's Ed25519 private key, for the handshake's CertificateVerify. */
    public static PrivateKey jdkPrivateKey(SigningKey key) throws GeneralSecurityException {
        return KeyFactory.getInstance("Ed25519")
                .generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, key.seed()));
    }

    /** The DER SubjectPublicKeyInfo of {@code key}'s public half. */
    static byte[] subjectPublicKeyInfo(SigningKey key) {
        try {
            return new SubjectPublicKeyInfo(new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519),
                    key.verifyingKey().bytes()).getEncoded();
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode an Ed25519 public key: " + e.getMessage(), e);
        }
    }

    /** Signs the TBS certificate through Bouncy Castle's lightweight Ed25519 (the protocol module's key). */
    private static final class Ed25519Signer implements ContentSigner {
        private final SigningKey key;
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

        Ed25519Signer(SigningKey key) {
            this.key = key;
        }

        @Override
        public AlgorithmIdentifier getAlgorithmIdentifier() {
            return new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519);
        }

        @Override
        public OutputStream getOutputStream() {
            return buffer;
        }

        @Override
        public byte[] getSignature() {
            return key.sign(buffer.toByteArray());
        }
    }
}
