package io.agentmesh.protocol.identity;

import org.junit.jupiter.api.function.Executable;

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
}
