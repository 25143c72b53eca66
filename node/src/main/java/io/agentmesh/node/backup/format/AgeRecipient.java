package io.agentmesh.node.backup.format;

import com.exceptionfactory.jagged.bech32.Bech32;
import com.exceptionfactory.jagged.bech32.Bech32Address;

import java.util.Locale;

/**
 * An age X25519 recipient, {@code age1...}: the public half of a backup key. Nodes hold only these (never the phrase
 * or a private key of the phrase recipient) and encrypt every backup object to them.
 */
public record AgeRecipient(String text) {
    static final String HRP = "age";
    static final int KEY_BYTES = 32;

    public AgeRecipient {
        if (text == null) {
            throw new IllegalArgumentException("an age recipient is required");
        }
        byte[] key;
        try {
            Bech32Address a = Bech32.getDecoder().decode(text);
            if (!HRP.contentEquals(a.getHumanReadablePart())) {
                throw new IllegalArgumentException("not an age X25519 recipient (age1...): '" + text + "'");
            }
            key = a.getData();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not an age X25519 recipient (age1...): '" + text + "': "
                    + e.getMessage(), e);
        }
        if (key.length != KEY_BYTES || !text.equals(text.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("not an age X25519 recipient (age1..., 32 bytes, lower case): '"
                    + text + "'");
        }
    }

    static AgeRecipient ofPublicKey(byte[] x25519PublicKey) {
        return new AgeRecipient(Bech32.getEncoder().encode(HRP, x25519PublicKey).toString());
    }

    @Override
    public String toString() {
        return text;
    }
}
