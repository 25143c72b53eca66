package io.agentmesh.relay.tls;

import io.agentmesh.protocol.identity.SigningKey;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedTrustManager;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.Socket;
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
 * TLS 1.3 on every connection between a node and a relay (control, dialing and attaching), so an observer of the
 * wire sees neither who registers nor who looks up whom, nor which node a circuit is for. The relay presents a
 * self-signed certificate of its {@link RelayKey} (made per process, random serial); the node checks only the key,
 * against its pin ({@link PinCheck}), never names or dates. No client certificate: nodes prove who they are inside,
 * with signed registrations and proofs. A circuit's node-to-node TLS runs inside, end to end, so the relay, which
 * ends its own TLS, still sees only the nodes' ciphertext.
 */
public final class RelayTls {
    static final String PROTOCOL = "TLSv1.3";
    private static final long CERT_BACKDATE_MS = 24L * 3600 * 1000;
    private static final long CERT_LIFETIME_MS = 100L * 365 * 24 * 3600 * 1000;

    private RelayTls() {
    }

    /** Decides whether a relay's key is the one this node expects; throws to refuse, with a message naming both. */
    @FunctionalInterface
    public interface PinCheck {
        void check(RelayFingerprint presented) throws CertificateException;
    }

    /** The relay's server side: its certificate for {@code key}, valid from a day before {@code nowMillis}. */
    public static SslContext server(RelayKey key, long nowMillis, SecureRandom random) {
        try {
            SigningKey k = key.signingKey();
            X509Certificate cert = selfSigned(k, nowMillis, random);
            PrivateKey jdkKey = KeyFactory.getInstance("Ed25519")
                    .generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, k.seed()));
            return SslContextBuilder.forServer(jdkKey, cert)
                    .sslProvider(SslProvider.JDK)
                    .protocols(PROTOCOL)
                    .clientAuth(ClientAuth.NONE)
                    .build();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot set up the relay's TLS: " + e.getMessage(), e);
        }
    }

    /** A node's client side towards one relay: TLS 1.3, the relay's key checked by {@code pin}. */
    public static SslContext client(PinCheck pin) {
        try {
            return SslContextBuilder.forClient()
                    .sslProvider(SslProvider.JDK)
                    .protocols(PROTOCOL)
                    .trustManager(new PinningTrustManager(pin))
                    .endpointIdentificationAlgorithm(null)
                    .build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot set up TLS towards relays: " + e.getMessage(), e);
        }
    }

    static byte[] subjectPublicKeyInfo(SigningKey key) {
        try {
            return new SubjectPublicKeyInfo(new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519),
                    key.verifyingKey().bytes()).getEncoded();
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode an Ed25519 public key: " + e.getMessage(), e);
        }
    }

    private static X509Certificate selfSigned(SigningKey key, long nowMillis, SecureRandom random)
            throws IOException, CertificateException {
        X500Name name = new X500Name("CN=agentmesh relay");
        SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(subjectPublicKeyInfo(key));
        BigInteger serial = new BigInteger(127, random).add(BigInteger.ONE);
        byte[] der = new X509v3CertificateBuilder(name, serial, new Date(nowMillis - CERT_BACKDATE_MS),
                new Date(nowMillis + CERT_LIFETIME_MS), name, spki)
                .build(new Ed25519Signer(key))
                .getEncoded();
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der));
    }

    /** Signs the certificate with Bouncy Castle's lightweight Ed25519 (the protocol module's key). */
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

    /** Trusts exactly the key the pin check accepts; TLS 1.3 proved the relay holds its private half. */
    private static final class PinningTrustManager extends X509ExtendedTrustManager {
        private final PinCheck pin;

        PinningTrustManager(PinCheck pin) {
            this.pin = pin;
        }

        private void checkServer(X509Certificate[] chain) throws CertificateException {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("the relay presented no certificate");
            }
            pin.check(RelayFingerprint.of(chain[0].getPublicKey()));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            checkServer(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            checkServer(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            checkServer(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("a relay client never checks clients");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw new CertificateException("a relay client never checks clients");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a relay client never checks clients");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
