package io.agentmesh.protocol.bytes;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BytesTest {
    @Test
    void equalBytesAreEqualValuesWithEqualHashes() {
        Bytes a = Bytes.copyOf(new byte[] {1, 2, 3});
        Bytes b = Bytes.copyOf(new byte[] {1, 2, 3});
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, Bytes.copyOf(new byte[] {1, 2}));
    }

    @Test
    void writesToTheGivenOrReturnedArrayDoNotChangeTheValue() {
        byte[] given = {1, 2, 3};
        Bytes value = Bytes.copyOf(given);
        given[0] = 9;
        value.toByteArray()[1] = 9;
        assertArrayEquals(new byte[] {1, 2, 3}, value.toByteArray());
    }

    @Test
    void ordersByteByByteAsUnsignedNumbersAndAPrefixFirst() {
        Bytes high = Bytes.copyOf(new byte[] {(byte) 0x80});
        Bytes low = Bytes.copyOf(new byte[] {0x7f});
        Bytes longer = Bytes.copyOf(new byte[] {0x7f, 0});
        List<Bytes> sorted = new ArrayList<>(List.of(high, longer, low));
        Collections.sort(sorted);
        assertEquals(List.of(low, longer, high), sorted);
    }

    @Test
    void printsAsLowercaseHex() {
        assertEquals("00ff10", Bytes.copyOf(new byte[] {0, (byte) 0xff, 0x10}).toString());
    }

    @Test
    void aWrongLengthIsRefusedNamingWhatWasExpectedAndWhatCame() {
        Bytes three = Bytes.copyOf(new byte[3]);
        assertSame(three, Bytes.requireLength(three, 3, "a thing"));
        assertEquals("a thing is 4 bytes, got 3", assertThrows(IllegalArgumentException.class,
                () -> Bytes.requireLength(three, 4, "a thing")).getMessage());
        assertEquals("a thing is 4 bytes, got none", assertThrows(IllegalArgumentException.class,
                () -> Bytes.requireLength(null, 4, "a thing")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Bytes.copyOf(null));
    }
}
