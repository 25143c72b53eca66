package io.agentmesh.relay.tls;

import io.agentmesh.protocol.identity.SigningKey;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

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
            X509Certificate cert = SelfSignedEd25519.certificate(k, "agentmesh relay", nowMillis, random);
            return SslContextBuilder.forServer(SelfSignedEd25519.jdkPrivateKey(k), cert)
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

    /** Trusts exactly the key the pin check accepts; TLS 1.3 proved the relay holds its private half. */
    private static final class PinningTrustManager extends ChainTrustManager {
        private final PinCheck pin;

        PinningTrustManager(PinCheck pin) {
            this.pin = pin;
        }

        @Override
        protected void checkServer(X509Certificate[] chain) throws CertificateException {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("the relay presented no certificate");
            }
            pin.check(RelayFingerprint.of(chain[0].getPublicKey()));
        }

        @Override
        protected void checkClient(X509Certificate[] chain) throws CertificateException {
            throw new CertificateException("a relay client never checks clients");
        }
    }
}
