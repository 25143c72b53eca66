package io.agentmesh.relay;

import io.agentmesh.relay.protocol.ProtocolException;
import io.agentmesh.relay.protocol.RelayCodec;
import io.agentmesh.relay.protocol.RelayMessage;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/** A blocking relay-protocol client for tests: frames in and out, then raw bytes once spliced. */
final class RawClient implements AutoCloseable {
    final Socket socket = new Socket();
    final DataInputStream in;
    final DataOutputStream out;
    final RelayMessage.Challenge challenge;

    RawClient(InetSocketAddress relay) throws IOException, ProtocolException {
        this(relay, true);
    }

    /** {@code expectChallenge} false: the first message is left unread ({@link #challenge} is null). */
    RawClient(InetSocketAddress relay, boolean expectChallenge) throws IOException, ProtocolException {
        socket.connect(relay, 5_000);
        socket.setSoTimeout(10_000);
        in = new DataInputStream(socket.getInputStream());
        out = new DataOutputStream(socket.getOutputStream());
        challenge = expectChallenge ? (RelayMessage.Challenge) read() : null;
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
