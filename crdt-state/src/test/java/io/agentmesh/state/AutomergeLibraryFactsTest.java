package io.agentmesh.state;

import org.automerge.AmValue;
import org.automerge.ChangeHash;
import org.automerge.Document;
import org.automerge.NewValue;
import org.automerge.ObjectId;
import org.automerge.ObjectType;
import org.automerge.Transaction;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static io.agentmesh.state.Fixtures.concat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * What automerge-java 0.0.7 (Automerge 0.5.7) does on its own with bad input and numbers. These facts are why
 * AgentState parses every change itself and stores numbers as floats; if one changes after an upgrade, revisit
 * those decisions. (The two inputs that abort the JVM are in NativeCrashTest.)
 */
class AutomergeLibraryFactsTest {
    private static final byte[] ACTOR = new byte[16];

    private static Document docWithList() {
        Document doc = new Document(ACTOR);
        try (Transaction tx = doc.startTransaction()) {
            tx.set(ObjectId.ROOT, "list", ObjectType.LIST);
            tx.commit();
        }
        return doc;
    }

    private static byte[] appendChange(Document doc, String value) {
        ChangeHash[] before = doc.getHeads();
        ObjectId list = ((AmValue.List) doc.get(ObjectId.ROOT, "list").orElseThrow()).getId();
        try (Transaction tx = doc.startTransaction()) {
            tx.insert(list, doc.length(list), value);
            tx.commit();
        }
        return doc.encodeChangesSince(before);
    }

    @Test
    void garbageThrowsOnAnEmptyDocumentButIsSilentlyIgnoredByANonEmptyOne() {
        byte[] garbage = {(byte) 0x85, 0x6f, 0x4a, (byte) 0x83, 1, 2, 3};
        Document empty = new Document(ACTOR);
        RuntimeException e = assertThrows(RuntimeException.class, () -> empty.applyEncodedChanges(garbage));
        assertEquals("org.automerge.AutomergeException", e.getClass().getName(), "package-private in 0.0.7");
        Document doc = docWithList();
        byte[] before = doc.save();
        doc.applyEncodedChanges(garbage); // no exception: load_incremental logs a "partial load" and carries on
        assertArrayEquals(before, doc.save());
        empty.free();
        doc.free();
    }

    @Test
    void aChangeWithABadChecksumIsSilentlyIgnored() {
        Document source = docWithList();
        Document target = Document.load(source.save());
        byte[] change = appendChange(source, "x");
        change[5] ^= 1;
        target.applyEncodedChanges(change); // no exception
        assertEquals(1, target.getHeads().length);
        assertArrayEquals(Document.load(docWithList().save()).getHeads()[0].getBytes(),
                target.getHeads()[0].getBytes(), "nothing applied");
        source.free();
        target.free();
    }

    @Test
    void aValidChangeFollowedByABadOneIsHalfAppliedWithoutAnError() {
        Document source = docWithList();
        Document target = Document.load(source.save());
        byte[] first = appendChange(source, "first");
        byte[] second = appendChange(source, "second");
        second[5] ^= 1;
        target.applyEncodedChanges(concat(first, second)); // no exception
        ObjectId list = ((AmValue.List) target.get(ObjectId.ROOT, "list").orElseThrow()).getId();
        assertEquals(1, target.length(list), "the first applied, the second dropped");
        source.free();
        target.free();
    }

    @Test
    void integerSettersLoseDataSoNumbersAreStoredAsFloats() {
        Document doc = new Document(ACTOR);
        ObjectId m;
        try (Transaction tx = doc.startTransaction()) {
            m = tx.set(ObjectId.ROOT, "m", ObjectType.MAP);
            tx.set(m, "integer", NewValue.integer(1_700_000_000_000L));
            tx.setUint(m, "uint", 1_700_000_000_000L);
            tx.set(m, "float", 1_700_000_000_000.0);
            tx.commit();
        }
        assertInstanceOf(AmValue.F64.class, doc.get(m, "integer").orElseThrow(), "NewValue.integer stores a float");
        assertEquals(-807049216L, ((AmValue.UInt) doc.get(m, "uint").orElseThrow()).getValue(), "low 32 bits");
        assertEquals(1.7e12, ((AmValue.F64) doc.get(m, "float").orElseThrow()).getValue());
        doc.free();
    }

    @Test
    void changesMadeThroughTheJavaApiCarryTimeZeroSoTheyAreReproducible() {
        Document a = docWithList();
        Document b = docWithList();
        assertArrayEquals(a.save(), b.save());
        assertEquals(Arrays.toString(a.getHeads()[0].getBytes()), Arrays.toString(b.getHeads()[0].getBytes()));
        a.free();
        b.free();
    }
}
