package io.agentmesh.node.backup.format;

import com.exceptionfactory.jagged.bech32.Bech32;
import org.bouncycastle.math.ec.rfc7748.X25519;

import java.util.Arrays;
import java.util.Locale;

/**
 * An age X25519 identity (the private half of a backup key), as the {@code age} tool writes it:
 * {@code AGE-SECRET-KEY-1...}. {@link #toString()} never shows it; {@link #secretKeyText()} gives it to the code that
 * writes a key file for {@code age -d -i} on purpose.
 */
public final class AgeIdentity {
    private static final String HRP = "AGE-SECRET-KEY-";
    private final byte[] secret;
    private final AgeRecipient recipient;

    /** The identity of a 32-byte X25519 secret (clamped by X25519 itself, as age does). */
    public AgeIdentity(byte[] secret) {
        if (secret == null || secret.length != X25519.SCALAR_SIZE) {
            throw new IllegalArgumentException("an X25519 secret is " + X25519.SCALAR_SIZE + " bytes");
        }
        this.secret = secret.clone();
        byte[] pub = new byte[X25519.POINT_SIZE];
        X25519.scalarMultBase(this.secret, 0, pub, 0);
        this.recipient = AgeRecipient.ofPublicKey(pub);
    }

    /** Reads {@code AGE-SECRET-KEY-1...} (any letter case). */
    public static AgeIdentity parse(String text) {
        try {
            var a = Bech32.getDecoder().decode(text.strip().toLowerCase(Locale.ROOT));
            if (!HRP.equalsIgnoreCase(a.getHumanReadablePart().toString())) {
                throw new IllegalArgumentException("not an age identity (AGE-SECRET-KEY-1...)");
            }
            return new AgeIdentity(a.getData());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not an age X25519 identity (AGE-SECRET-KEY-1...): " + e.getMessage(),
                    e);
        }
    }

    public AgeRecipient recipient() {
        return recipient;
    }

    /** The secret as the age tool reads it: upper-case Bech32, {@code AGE-SECRET-KEY-1...}. */
    public String secretKeyText() {
        return Bech32.getEncoder().encode(HRP.toLowerCase(Locale.ROOT), secret).toString().toUpperCase(Locale.ROOT);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AgeIdentity i && Arrays.equals(secret, i.secret);
    }

    @Override
    public int hashCode() {
        return recipient.hashCode();
    }

    @Override
    public String toString() {
        return "AgeIdentity[recipient=" + recipient + ", secret hidden]";
    }
}
