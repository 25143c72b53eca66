package io.agentmesh.node.net;

import io.agentmesh.protocol.identity.IdentityException;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.identity.VerifyingKey;
import io.agentmesh.relay.tls.ChainTrustManager;
import io.agentmesh.relay.tls.SelfSignedEd25519;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * The node's TLS identity: a self-signed X.509 certificate for the node's own Ed25519 key, so the TLS 1.3 handshake
 * itself proves possession of the node key (CertificateVerify is an Ed25519 signature by it). Which agent the key
 * belongs to is not TLS's business: trust is decided by the Hello that follows ({@link HelloAuthenticator}), so the
 * trust manager here accepts any certificate and only the key inside matters.
 *
 * <p>The certificate ({@link SelfSignedEd25519}) is made once per process with a random serial, so two runs of a node
 * never present the same certificate bytes (the session proof signs them).
 *
 * <p>Cross-protocol safety: TLS 1.3 signs "64 spaces || context string || transcript hash", every agentmesh signature
 * starts with "agentmesh/", so no signature of one kind is valid as the other.
 */
final class TlsIdentity {
    static final String TLS_PROTOCOL = "TLSv1.3";
    private static final String ALIAS = "node";

    private final X509Certificate certificate;
    private final SslContext serverContext;
    private final SslContext clientContext;

    private TlsIdentity(X509Certificate certificate, PrivateKey privateKey) throws SSLException {
        this.certificate = certificate;
        KeyManager keyManager = new SingleKeyManager(certificate, privateKey);
        TrustManager trustAny = new AcceptAnyTrustManager();
        serverContext = SslContextBuilder.forServer(keyManager)
                .sslProvider(SslProvider.JDK)
                .protocols(TLS_PROTOCOL)
                .clientAuth(ClientAuth.REQUIRE)
                .trustManager(trustAny)
                .build();
        clientContext = SslContextBuilder.forClient()
                .sslProvider(SslProvider.JDK)
                .protocols(TLS_PROTOCOL)
                .keyManager(keyManager)
                .trustManager(trustAny)
                .endpointIdentificationAlgorithm(null)
                .build();
    }

    /** Makes the certificate for {@code nodeKey}, valid from a day before {@code nowMillis} for 100 years. */
    static TlsIdentity create(SigningKey nodeKey, long nowMillis, SecureRandom random) {
        try {
            X509Certificate cert = SelfSignedEd25519.certificate(nodeKey,
                    NodeId.of(nodeKey.verifyingKey()).toString(), nowMillis, random);
            return new TlsIdentity(cert, SelfSignedEd25519.jdkPrivateKey(nodeKey));
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot set up the TLS identity of the node key: " + e.getMessage(), e);
        }
    }

    /**
     * The Ed25519 key a TLS peer certificate carries.
     *
     * @throws AuthException TLS_KEY_NOT_ED25519 for any other kind of key
     */
    static VerifyingKey nodeKeyOf(Certificate tlsCertificate) throws AuthException {
        byte[] encoded = tlsCertificate.getPublicKey().getEncoded();
        try {
            SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(encoded);
            if (!EdECObjectIdentifiers.id_Ed25519.equals(spki.getAlgorithm().getAlgorithm())) {
                throw new AuthException(AuthFailure.TLS_KEY_NOT_ED25519, "the TLS certificate has a "
                        + tlsCertificate.getPublicKey().getAlgorithm() + " key, not the node's Ed25519 key");
            }
            return new VerifyingKey(spki.getPublicKeyData().getOctets());
        } catch (IdentityException | IllegalArgumentException e) {
            throw new AuthException(AuthFailure.TLS_KEY_NOT_ED25519,
                    "the TLS certificate's key is not a valid Ed25519 key: " + e.getMessage());
        }
    }

    X509Certificate certificate() {
        return certificate;
    }

    SslContext serverContext() {
        return serverContext;
    }

    SslContext clientContext() {
        return clientContext;
    }

    /** Offers the one node certificate whenever the peer accepts an EdDSA key. */
    private static final class SingleKeyManager extends X509ExtendedKeyManager {
        private static final List<String> KEY_TYPES = List.of("EdDSA", "Ed25519");
        private final X509Certificate certificate;
        private final PrivateKey key;

        SingleKeyManager(X509Certificate certificate, PrivateKey key) {
            this.certificate = certificate;
            this.key = key;
        }

        private static String aliasFor(String... keyTypes) {
            if (keyTypes != null) {
                for (String t : keyTypes) {
                    if (t != null && KEY_TYPES.stream().anyMatch(t::equalsIgnoreCase)) {
                        return ALIAS;
                    }
                }
            }
            return null;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return aliasFor(keyType) == null ? null : new String[] {ALIAS};
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return aliasFor(keyType);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return aliasFor(keyType);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return aliasFor(keyType) == null ? null : new String[] {ALIAS};
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return aliasFor(keyType);
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return aliasFor(keyType);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return ALIAS.equals(alias) ? new X509Certificate[] {certificate} : null;
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return ALIAS.equals(alias) ? key : null;
        }
    }

    /**
     * Accepts any non-empty certificate chain at the TLS layer: the peer's identity is its key, checked against its
     * node certificate in the Hello. No hostname checks (nodes are named by key, not by DNS).
     */
    private static final class AcceptAnyTrustManager extends ChainTrustManager {
        private static void requireChain(X509Certificate[] chain) throws CertificateException {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("the peer presented no certificate");
            }
        }

        @Override
        protected void checkClient(X509Certificate[] chain) throws CertificateException {
            requireChain(chain);
        }

        @Override
        protected void checkServer(X509Certificate[] chain) throws CertificateException {
            requireChain(chain);
        }
    }
}
