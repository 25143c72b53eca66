package io.agentmesh.state;

import org.automerge.ChangeHash;
import org.automerge.Document;
import org.automerge.ObjectId;
import org.automerge.ObjectType;
import org.automerge.Transaction;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The genesis change: the one change every document of an agent starts from, built locally by every node.
 *
 * <p>Why: if each node created the top-level objects ({@code memory}, {@code notes}...) itself, two nodes starting
 * concurrently would create two {@code memory} lists, Automerge would keep one and the other node's entries would
 * vanish from view. Instead every node builds the same change: the same ops, in the same order, under the same
 * actor (the first 16 bytes of SHA-256("agentmesh/genesis/v1" || agentId)), with time 0 (the Java API records no
 * time). The result is byte-identical on every node, so it has the same hash everywhere; it is never signed, stored
 * or replicated, and every object it creates has the same id on every node ({@code counter@genesisActor}).
 *
 * <p>Its ops, in order (op counter: op): 1 root.meta = map; 2 meta.schemaVersion = 1; 3 meta.agentId = hex;
 * 4 root.memory = list; 5 root.notes = text; 6 root.tasks = map; 7 root.schedules = map; 8 root.intents = map;
 * 9 root.outcomes = map; 10 root.costs = map. These bytes must never change for schema version 1: a golden test
 * pins the hash ({@code GenesisTest}), so an Automerge upgrade that encodes them differently is caught before two
 * versions of agentmesh disagree about an agent's first change. A later schema adds its own deterministic change
 * rather than editing this one.
 *
 * <p>{@link AgentState#applyChange} refuses every remote change that writes to the root or to {@code meta}, so
 * these objects stay the ones every node reads.
 *
 * <p><b>The workspace extension.</b> The workspace mirror came after schema version 1 was fixed, so its root
 * objects come from a second deterministic change, built the same way and never edited either: the genesis actor's
 * seq 2, depending on the genesis change only, with the ops 1 root.workspace = map (path to the file's Automerge
 * text) and 2 root.workspaceGone = map (path to true while the file is deleted). Every node applies it right after
 * the genesis change, and to a document loaded from a store written before it existed, so its objects have the same
 * ids everywhere. A golden test pins its hash too.
 */
public final class Genesis {
    public static final int SCHEMA_VERSION = 1;
    private static final byte[] DOMAIN = "agentmesh/genesis/v1".getBytes(StandardCharsets.US_ASCII);

    /** Root keys and the type of object each holds, in creation order. */
    static final Map<String, ObjectType> ROOT_OBJECTS;

    static {
        Map<String, ObjectType> m = new LinkedHashMap<>();
        m.put("meta", ObjectType.MAP);
        m.put("memory", ObjectType.LIST);
        m.put("notes", ObjectType.TEXT);
        m.put("tasks", ObjectType.MAP);
        m.put("schedules", ObjectType.MAP);
        m.put("intents", ObjectType.MAP);
        m.put("outcomes", ObjectType.MAP);
        m.put("costs", ObjectType.MAP);
        ROOT_OBJECTS = java.util.Collections.unmodifiableMap(m);
    }

    /** Root keys of the workspace extension and the type of object each holds, in creation order. */
    static final Map<String, ObjectType> WORKSPACE_OBJECTS;

    static {
        Map<String, ObjectType> m = new LinkedHashMap<>();
        m.put("workspace", ObjectType.MAP);
        m.put("workspaceGone", ObjectType.MAP);
        WORKSPACE_OBJECTS = java.util.Collections.unmodifiableMap(m);
    }

    private final byte[] agentId;
    private final byte[] actor;
    private final byte[] change;
    private final byte[] hash;
    private final Map<String, String> objectIds;
    private final byte[] workspaceChange;
    private final byte[] workspaceHash;
    private final Map<String, String> workspaceObjectIds;

    private Genesis(byte[] agentId, byte[] actor, byte[] change, byte[] hash, Map<String, String> objectIds,
                    byte[] workspaceChange, byte[] workspaceHash, Map<String, String> workspaceObjectIds) {
        this.agentId = agentId;
        this.actor = actor;
        this.change = change;
        this.hash = hash;
        this.objectIds = objectIds;
        this.workspaceChange = workspaceChange;
        this.workspaceHash = workspaceHash;
        this.workspaceObjectIds = workspaceObjectIds;
    }

    /** Builds the genesis of {@code agentId} (1..{@link Limits#MAX_AGENT_ID_BYTES} bytes). */
    public static Genesis of(byte[] agentId) {
        checkAgentId(agentId);
        byte[] actor = actorOf(agentId);
        Document doc = new Document(actor);
        try {
            Map<String, String> ids = new LinkedHashMap<>();
            ChangeHash[] before = doc.getHeads();
            try (Transaction tx = doc.startTransaction()) {
                ObjectId meta = tx.set(ObjectId.ROOT, "meta", ObjectType.MAP);
                tx.set(meta, "schemaVersion", SCHEMA_VERSION);
                tx.set(meta, "agentId", HexFormat.of().formatHex(agentId));
                ids.put("meta", meta.toString());
                for (Map.Entry<String, ObjectType> e : ROOT_OBJECTS.entrySet()) {
                    if (!e.getKey().equals("meta")) {
                        ids.put(e.getKey(), tx.set(ObjectId.ROOT, e.getKey(), e.getValue()).toString());
                    }
                }
                tx.commit();
            }
            byte[] change = doc.encodeChangesSince(before);
            ChangeHash[] afterGenesis = doc.getHeads();
            byte[] hash = afterGenesis[0].getBytes();
            Map<String, String> workspaceIds = new LinkedHashMap<>();
            try (Transaction tx = doc.startTransaction()) {
                for (Map.Entry<String, ObjectType> e : WORKSPACE_OBJECTS.entrySet()) {
                    workspaceIds.put(e.getKey(), tx.set(ObjectId.ROOT, e.getKey(), e.getValue()).toString());
                }
                tx.commit();
            }
            byte[] workspaceChange = doc.encodeChangesSince(afterGenesis);
            byte[] workspaceHash = doc.getHeads()[0].getBytes();
            return new Genesis(agentId.clone(), actor, change, hash, java.util.Collections.unmodifiableMap(ids),
                    workspaceChange, workspaceHash, java.util.Collections.unmodifiableMap(workspaceIds));
        } finally {
            doc.free();
        }
    }

    static void checkAgentId(byte[] agentId) {
        if (agentId == null || agentId.length == 0 || agentId.length > Limits.MAX_AGENT_ID_BYTES) {
            throw new IllegalArgumentException("an agent id is 1.." + Limits.MAX_AGENT_ID_BYTES + " bytes, got "
                    + (agentId == null ? "none" : agentId.length));
        }
    }

    /** The genesis actor of an agent: the first 16 bytes of SHA-256("agentmesh/genesis/v1" || agentId). */
    public static byte[] actorOf(byte[] agentId) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(DOMAIN);
            sha.update(agentId);
            return Arrays.copyOf(sha.digest(), 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    public byte[] agentId() {
        return agentId.clone();
    }

    public byte[] actor() {
        return actor.clone();
    }

    public String actorHex() {
        return HexFormat.of().formatHex(actor);
    }

    /** The encoded genesis change (one change chunk, seq 1 of the genesis actor). */
    public byte[] change() {
        return change.clone();
    }

    /** Its change hash: the single head of a document that holds nothing else. */
    public byte[] hash() {
        return hash.clone();
    }

    /** The encoded workspace extension (one change chunk, seq 2 of the genesis actor, depending on genesis only). */
    public byte[] workspaceChange() {
        return workspaceChange.clone();
    }

    /** The workspace extension's change hash: the single head of a document that holds nothing else. */
    public byte[] workspaceHash() {
        return workspaceHash.clone();
    }

    /** "workspace" and "workspaceGone" to the ids of the maps the workspace extension created. */
    public Map<String, String> workspaceObjectIds() {
        return workspaceObjectIds;
    }

    /** Root key to the id of the object genesis created there, e.g. "memory" to "4@&lt;genesis actor&gt;". */
    public Map<String, String> objectIds() {
        return objectIds;
    }
}
