package io.agentmesh.protocol.identity;

import org.junit.jupiter.api.function.Executable;

import java.util.function.Consumer;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How identity tests check a refusal: the reason a caller can act on, and the words a person reads. */
final class IdentityAssertions {
    private IdentityAssertions() {
    }

    /** {@code call} throws an {@link IdentityException} with {@code reason} whose message contains {@code words}. */
    static IdentityException assertRefused(IdentityException.Reason reason, String words, Executable call) {
        IdentityException e = assertThrows(IdentityException.class, call);
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(words), e.getMessage());
        return e;
    }

    /**
     * Every copy of {@code good} with one bit flipped is refused: by {@code decode}, or else by {@code verify} as
     * BAD_SIGNATURE or WRONG_AGENT. So no byte of a signed document can be changed unnoticed, the version and length
     * fields included.
     */
    static <T> void assertEveryBitFlipRefused(byte[] good, Function<byte[], T> decode, Consumer<T> verify) {
        for (int i = 0; i < good.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] bad = good.clone();
                bad[i] ^= (byte) (1 << bit);
                T decoded;
                try {
                    decoded = decode.apply(bad);
                } catch (IdentityException e) {
                    continue; // refused while decoding: fine
                }
                IdentityException e = assertThrows(IdentityException.class, () -> verify.accept(decoded),
                        "byte " + i + " bit " + bit);
                assertTrue(e.reason() == IdentityException.Reason.BAD_SIGNATURE
                        || e.reason() == IdentityException.Reason.WRONG_AGENT, e.reason().toString());
            }
        }
    }
}
