package io.agentmesh.relay;

import io.agentmesh.relay.protocol.ProtocolException;
import io.agentmesh.relay.protocol.RelayCodec;
import io.agentmesh.relay.protocol.RelayMessage;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import io.agentmesh.relay.tls.RelayFingerprint;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

/**
 * A blocking relay-protocol client for tests over the JDK's own TLS client ({@link SSLSocket}), which trusts only
 * the relay key it is given: frames in and out, then raw bytes once spliced.
 */
final class RawClient implements AutoCloseable {
    final SSLSocket socket;
    final DataInputStream in;
    final DataOutputStream out;
    final RelayMessage.Challenge challenge;

    RawClient(RelayServer relay) throws IOException, ProtocolException {
        this(relay, true);
    }

    /** {@code expectChallenge} false: the first message is left unread ({@link #challenge} is null). */
    RawClient(RelayServer relay, boolean expectChallenge) throws IOException, ProtocolException {
        this(relay, relay.address(), expectChallenge);
    }

    /** Through {@code via} (a forwarder in front of the relay). */
    RawClient(RelayServer relay, java.net.InetSocketAddress via, boolean expectChallenge)
            throws IOException, ProtocolException {
        socket = (SSLSocket) context(relay.fingerprint()).getSocketFactory().createSocket();
        socket.setEnabledProtocols(new String[] {"TLSv1.3"});
        socket.connect(via, 5_000);
        socket.setSoTimeout(10_000);
        socket.startHandshake();
        in = new DataInputStream(socket.getInputStream());
        out = new DataOutputStream(socket.getOutputStream());
        challenge = expectChallenge ? (RelayMessage.Challenge) read() : null;
    }

    /** A TLS client context that accepts exactly the key {@code pin}. */
    static SSLContext context(RelayFingerprint pin) {
        try {
            SSLContext c = SSLContext.getInstance("TLSv1.3");
            c.init(null, new TrustManager[] {new X509TrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                    throw new CertificateException("client side only");
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                    RelayFingerprint presented = RelayFingerprint.of(chain[0].getPublicKey());
                    if (!presented.equals(pin)) {
                        throw new CertificateException("relay key " + presented + " is not " + pin);
                    }
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            }}, null);
            return c;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    byte[] nonce() {
        return challenge.nonce();
    }

    void send(RelayMessage m) throws IOException {
        byte[] payload = RelayCodec.encode(m);
        out.writeInt(payload.length);
        out.write(payload);
        out.flush();
    }

    void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    RelayMessage read() throws IOException, ProtocolException {
        int n = in.readInt();
        byte[] payload = new byte[n];
        in.readFully(payload);
        return RelayCodec.decode(payload);
    }

    /** The next message, which must be an error; returns its code. */
    RelayMessage.Error readError() throws IOException, ProtocolException {
        RelayMessage m = read();
        if (!(m instanceof RelayMessage.Error e)) {
            throw new AssertionError("expected an error, got " + m);
        }
        return e;
    }

    byte[] readRaw(int n) throws IOException {
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    /** True when the relay closed the connection (EOF) within the socket timeout. */
    boolean closedByRelay() throws IOException {
        try {
            while (in.read() >= 0) {
                // drain
            }
            return true;
        } catch (EOFException e) {
            return true;
        } catch (java.net.SocketException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
