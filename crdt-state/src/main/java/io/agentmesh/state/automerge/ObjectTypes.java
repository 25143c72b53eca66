package io.agentmesh.state.automerge;

import org.automerge.Document;
import org.automerge.ObjectId;
import org.automerge.ObjectType;

import java.io.ByteArrayOutputStream;
import java.lang.reflect.Constructor;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * Answers "what type is object {@code counter@actor} in this document?" for the op checks a remote change passes
 * before it is applied ({@code io.agentmesh.state.ChangeGate}). Genesis objects are known up front; other objects
 * are looked up in the document once and cached (an object's type never changes).
 *
 * <p>automerge-java 0.0.7 has no public way to name an object by its id, so this builds an {@link ObjectId} through
 * its private constructor from the id's serialized form (automerge's {@code ExId::to_bytes}: tag 0x10, uLEB actor
 * length, actor bytes, uLEB actor-index hint, uLEB counter; a wrong hint is resolved by actor lookup in
 * {@code exid_to_opid}). {@code ObjectTypesTest} pins that a built id equals and prints like the library's own. Its
 * LEB128 writer is the counterpart of {@link ByteReader}'s reader.
 */
public final class ObjectTypes {
    private static final Constructor<ObjectId> CONSTRUCTOR;

    static {
        try {
            CONSTRUCTOR = ObjectId.class.getDeclaredConstructor(byte[].class);
            CONSTRUCTOR.setAccessible(true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new ExceptionInInitializerError("automerge-java changed: cannot build an ObjectId from its id ("
                    + e + "); re-check ObjectTypes against the new version");
        }
    }

    private static final int MAX_CACHED = 100_000;

    private final Document doc;
    private final Map<String, ObjectType> cache = new HashMap<>();
    private final Map<String, ObjectType> genesis;

    /** @param genesisTypes the type of each object the genesis change makes, by id */
    public ObjectTypes(Document doc, Map<String, ObjectType> genesisTypes) {
        this.doc = doc;
        this.genesis = Map.copyOf(genesisTypes);
    }

    /** The type of the object with this id ({@code counter@actorhex}), or empty if the document has no such object. */
    public Optional<ObjectType> typeOf(String objectId) {
        ObjectType known = genesis.get(objectId);
        if (known == null) {
            known = cache.get(objectId);
        }
        if (known != null) {
            return Optional.of(known);
        }
        Optional<ObjectType> found;
        try {
            found = doc.getObjectType(objectId(objectId));
        } catch (RuntimeException e) {
            // AutomergeException (package-private in 0.0.7): no such object in this document
            found = Optional.empty();
        }
        if (found.isPresent()) {
            if (cache.size() >= MAX_CACHED) {
                cache.clear();
            }
            cache.put(objectId, found.get());
        }
        return found;
    }

    /**
     * Every value under {@code key} of map {@code obj}: the one Automerge shows and those that concurrent writes left
     * beside it (a conflict). automerge-java 0.0.7 returns them in a package-private class ({@code Conflicts}), whose
     * public {@code values()} this reaches reflectively.
     */
    @SuppressWarnings("unchecked")
    public static java.util.Collection<org.automerge.AmValue> allValues(Document doc, ObjectId obj, String key) {
        try {
            Optional<?> all = (Optional<?>) GET_ALL.invoke(doc, obj, key);
            if (all.isEmpty()) {
                return java.util.List.of();
            }
            return (java.util.Collection<org.automerge.AmValue>) CONFLICT_VALUES.invoke(all.get());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read the conflicting values of " + key + ": " + e, e);
        }
    }

    private static final java.lang.reflect.Method GET_ALL;
    private static final java.lang.reflect.Method CONFLICT_VALUES;

    static {
        try {
            GET_ALL = Document.class.getMethod("getAll", ObjectId.class, String.class);
            CONFLICT_VALUES = Class.forName("org.automerge.Conflicts").getMethod("values");
            CONFLICT_VALUES.setAccessible(true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new ExceptionInInitializerError("automerge-java changed: cannot read conflicts (" + e
                    + "); re-check ObjectTypes against the new version");
        }
    }

    /** Builds the library's ObjectId for {@code counter@actorhex}. */
    public static ObjectId objectId(String id) {
        int at = id.indexOf('@');
        long counter = Long.parseUnsignedLong(id.substring(0, at));
        byte[] actor = HexFormat.of().parseHex(id.substring(at + 1));
        ByteArrayOutputStream raw = new ByteArrayOutputStream(actor.length + 16);
        raw.write(0x10);
        uleb(raw, actor.length);
        raw.writeBytes(actor);
        uleb(raw, 0);
        uleb(raw, counter);
        try {
            return CONSTRUCTOR.newInstance((Object) raw.toByteArray());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot build an Automerge ObjectId", e);
        }
    }

    private static void uleb(ByteArrayOutputStream out, long v) {
        do {
            int b = (int) (v & 0x7f);
            v >>>= 7;
            out.write(v != 0 ? b | 0x80 : b);
        } while (v != 0);
    }
}
