package io.agentmesh.protocol.bytes;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BoundedBytesTest {
    private static byte[] hex(String h) {
        return HexFormat.of().parseHex(h);
    }

    private static MalformedException refused(String field, String fragment, Executable read) {
        MalformedException e = assertThrows(MalformedException.class, read);
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "'" + e.getMessage() + "' should mention '" + fragment + "'");
        return e;
    }

    @Test
    void everyPrimitiveIsBigEndianAndReadsBackWhatWasWritten() {
        byte[] bytes = new BoundedWriter(100).u8(0xFE).u16(0xBEEF).i32(-2).i64(0x0102030405060708L).bool(true)
                .fixed(new byte[] {9, 8}).bytes8(new byte[] {7}).bytes16(new byte[] {6}).bytes32(new byte[] {5})
                .text16("\u00e9").text32("a").toByteArray();
        assertEquals("fe" + "beef" + "fffffffe" + "0102030405060708" + "01" + "0908" + "0107" + "000106"
                + "0000000105" + "0002c3a9" + "0000000161", HexFormat.of().formatHex(bytes));
        BoundedReader r = new BoundedReader(bytes);
        assertEquals(0xFE, r.u8("a"));
        assertEquals(0xBEEF, r.u16("b"));
        assertEquals(-2, r.i32("c"));
        assertEquals(0x0102030405060708L, r.i64("d"));
        assertTrue(r.bool("e"));
        assertArrayEquals(new byte[] {9, 8}, r.fixed("f", 2));
        assertArrayEquals(new byte[] {7}, r.bytes8("g", 1));
        assertArrayEquals(new byte[] {6}, r.bytes16("h", 1));
        assertArrayEquals(new byte[] {5}, r.bytes32("i", 1));
        assertEquals("\u00e9", r.text16("j", 2));
        assertEquals("a", r.text32("k", 1));
        assertEquals(0, r.remaining());
        r.end();
    }

    @Test
    void aReaderOverASliceSeesOnlyTheSlice() {
        BoundedReader r = new BoundedReader(hex("ff0102ff"), 1, 2);
        assertEquals(0x0102, r.u16("x"));
        r.end();
        assertThrows(IllegalArgumentException.class, () -> new BoundedReader(new byte[4], 3, 2));
    }

    @Test
    void everyKindOfTruncationIsRefusedNamingTheField() {
        List<Consumer<BoundedReader>> reads = List.of(
                r -> r.u8("field"), r -> r.u16("field"), r -> r.i32("field"), r -> r.i64("field"),
                r -> r.bool("field"), r -> r.fixed("field", 3), r -> r.nonNegativeI32("field"),
                r -> r.nonNegativeI64("field"));
        int[] sizes = {1, 2, 4, 8, 1, 3, 4, 8};
        for (int i = 0; i < reads.size(); i++) {
            Consumer<BoundedReader> read = reads.get(i);
            for (int len = 0; len < sizes[i]; len++) {
                BoundedReader r = new BoundedReader(new byte[len]);
                refused("field", "truncated", () -> read.accept(r));
            }
        }
        // a length prefix cut short, and a body shorter than its length says
        refused("name length", "truncated", () -> new BoundedReader(hex("00")).bytes16("name", 10));
        refused("name length", "truncated", () -> new BoundedReader(hex("000000")).bytes32("name", 10));
        refused("name length", "truncated", () -> new BoundedReader(new byte[0]).bytes8("name", 10));
        refused("name", "truncated", () -> new BoundedReader(hex("03aabb")).bytes8("name", 10));
        refused("name", "truncated", () -> new BoundedReader(hex("0003aabb")).text16("name", 10));
        refused("name", "truncated", () -> new BoundedReader(hex("00000003aabb")).text32("name", 10));
        refused("items", "truncated", () -> new BoundedReader(hex("00")).count16("items", 10, 1));
    }

    @Test
    void lengthsOverTheirLimitAreRefusedBeforeAllocating() {
        refused("name", "at most 2 bytes, got 3", () -> new BoundedReader(hex("03aabbcc")).bytes8("name", 2));
        refused("name", "at most 2 bytes, got 65535", () -> new BoundedReader(hex("ffff")).bytes16("name", 2));
        refused("name", "at most 2 bytes, got 2147483647",
                () -> new BoundedReader(hex("7fffffff")).bytes32("name", 2));
        refused("name", "at most 1 bytes", () -> new BoundedReader(hex("0002c3a9")).text16("name", 1));
        refused("name length", "must be >= 0", () -> new BoundedReader(hex("ffffffff")).bytes32("name", 2));
    }

    @Test
    void countsOverTheirLimitOrOverWhatTheBytesLeftCanHoldAreRefused() {
        refused("items", "at most 3 items, got 4", () -> new BoundedReader(hex("04")).count8("items", 3, 0));
        refused("items", "at most 3 items, got 256", () -> new BoundedReader(hex("0100")).count16("items", 3, 0));
        refused("items", "at most 3 items", () -> new BoundedReader(hex("7fffffff")).count32("items", 3, 1));
        refused("items", "must be >= 0", () -> new BoundedReader(hex("80000000")).count32("items", 3, 1));
        refused("items", "cannot fit", () -> new BoundedReader(hex("00000003" + "aabbccddee")).count32("items", 10, 2));
        assertEquals(3, new BoundedReader(hex("00000003" + "aabbccddeeff")).count32("items", 10, 2));
        assertEquals(2, new BoundedReader(hex("0002aabb")).count16("items", 2, 1));
    }

    @Test
    void outOfRangeValuesAreRefused() {
        refused("flag", "a boolean is 0 or 1, got 2", () -> new BoundedReader(hex("02")).bool("flag"));
        refused("term", "must be >= 0, got -1", () -> new BoundedReader(hex("ffffffff")).nonNegativeI32("term"));
        refused("index", "must be >= 0", () -> new BoundedReader(hex("8000000000000000")).nonNegativeI64("index"));
    }

    @Test
    void malformedUtf8IsRefused() {
        refused("name", "not valid UTF-8", () -> new BoundedReader(hex("0002c328")).text16("name", 10));
        refused("name", "not valid UTF-8", () -> new BoundedReader(hex("00000001ff")).text32("name", 10));
        // an encoded surrogate half is not UTF-8 either
        refused("name", "not valid UTF-8", () -> new BoundedReader(hex("0003eda080")).text16("name", 10));
    }

    @Test
    void trailingBytesAreRefusedAtTheEnd() {
        BoundedReader r = new BoundedReader(hex("0102"));
        r.u8("a");
        refused("end", "1 unexpected trailing bytes", r::end);
    }

    @Test
    void aFailedReadConsumesNothing() {
        BoundedReader r = new BoundedReader(hex("000000"));
        assertThrows(MalformedException.class, () -> r.i32("x"));
        assertEquals(3, r.remaining());
        assertEquals(0, r.u16("y"));
    }

    @Test
    void theWriterRefusesValuesThatDoNotFitTheirField() {
        BoundedWriter w = new BoundedWriter(1 << 20);
        assertThrows(IllegalArgumentException.class, () -> w.u8(256));
        assertThrows(IllegalArgumentException.class, () -> w.u8(-1));
        assertThrows(IllegalArgumentException.class, () -> w.u16(0x10000));
        assertThrows(IllegalArgumentException.class, () -> w.bytes8(new byte[256]));
        assertThrows(IllegalArgumentException.class, () -> w.bytes16(new byte[0x10000]));
        assertThrows(IllegalArgumentException.class, () -> w.text16("x".repeat(0x10000)));
        assertEquals(0, w.size(), "a refused write leaves nothing behind");
    }

    @Test
    void theWriterNeverGrowsPastItsLimit() {
        BoundedWriter w = new BoundedWriter(10);
        w.i64(1).u16(2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.u8(3));
        assertTrue(e.getMessage().contains("limit of 10 bytes"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BoundedWriter(4).bytes32(new byte[1]));
        assertEquals(10, w.toByteArray().length);
        byte[] big = new byte[5000];
        Arrays.fill(big, (byte) 1);
        assertArrayEquals(big, new BoundedWriter(5000).fixed(big).toByteArray());
        assertFalse(new BoundedWriter(0).toByteArray().length > 0);
    }
}
