package io.agentmesh.state.automerge;

import org.automerge.Document;
import org.automerge.ObjectId;
import org.automerge.ObjectType;
import org.automerge.Transaction;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The ObjectId built through automerge-java's private constructor is the library's own. */
class ObjectTypesTest {
    private static final byte[] ACTOR = HexFormat.of().parseHex("0a".repeat(16));

    @Test
    void aBuiltIdEqualsAndPrintsLikeTheLibrarysAndFindsTheObjectsType() {
        Document doc = new Document(ACTOR);
        try {
            ObjectId list;
            ObjectId text;
            Transaction tx = doc.startTransaction();
            // enough objects that the counter needs more than one LEB128 group
            for (int i = 0; i < 200; i++) {
                tx.set(ObjectId.ROOT, "k" + i, i);
            }
            list = tx.set(ObjectId.ROOT, "list", ObjectType.LIST);
            text = tx.set(ObjectId.ROOT, "text", ObjectType.TEXT);
            tx.commit();

            ObjectId built = ObjectTypes.objectId(list.toString());
            assertEquals(list, built);
            assertEquals(list.toString(), built.toString());

            ObjectTypes types = new ObjectTypes(doc, Map.of());
            assertEquals(Optional.of(ObjectType.LIST), types.typeOf(list.toString()));
            assertEquals(Optional.of(ObjectType.TEXT), types.typeOf(text.toString()));
            assertEquals(Optional.empty(), types.typeOf("9999@" + "0a".repeat(16)));
        } finally {
            doc.free();
        }
    }

    @Test
    void genesisTypesAreKnownWithoutLookingInTheDocument() {
        Document doc = new Document(ACTOR);
        try {
            ObjectTypes types = new ObjectTypes(doc, Map.of("1@" + "0b".repeat(16), ObjectType.MAP));
            assertEquals(Optional.of(ObjectType.MAP), types.typeOf("1@" + "0b".repeat(16)));
        } finally {
            doc.free();
        }
    }
}
