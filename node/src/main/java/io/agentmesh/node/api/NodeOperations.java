package io.agentmesh.node.api;

import io.agentmesh.node.replication.Durability;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.NodeRevocation;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What the HTTP API may ask of a running node. Every write future completes only after the change is durable;
 * every method may be called from any thread and never blocks (work is handed to the node thread).
 */
public interface NodeOperations {

    /** Appends a memory entry; completes with the stored entry once durable here. */
    default CompletableFuture<Object> appendMemory(String kind, String text, List<String> tags) {
        return appendMemory(kind, text, tags, Durability.LOCAL);
    }

    /**
     * Appends a memory entry; completes with the stored entry once durable as {@code durability} says (with
     * MAJORITY: on a majority of the voters, or fails with {@code MajorityTimeoutException}).
     */
    CompletableFuture<Object> appendMemory(String kind, String text, List<String> tags, Durability durability);

    /** The newest {@code limit} memory entries, oldest first. */
    CompletableFuture<List<?>> memory(int limit);

    /**
     * Completes once the node has loaded its state. Until then the API answers health, readiness, a short status
     * ({@link #loadingStatus}) and, when {@link #memoryReadableWhileLoading}, memory reads; every other request waits
     * for it (writes included).
     */
    default CompletableFuture<Void> loaded() {
        return CompletableFuture.completedFuture(null);
    }

    /** Whether memory reads are served while loading (from the view saved with the last snapshot). */
    default boolean memoryReadableWhileLoading() {
        return false;
    }

    /** What GET /v1/status answers while the node loads its state. */
    default Map<String, Object> loadingStatus() {
        return Map.of("loading", true);
    }

    /**
     * The newest {@code limit} memory entries carrying {@code tag} (exactly; null for any) whose text, kind or tags
     * contain every word of {@code query} (case-insensitive; null for any), newest first. Fails with
     * IllegalArgumentException on a bad query.
     */
    default CompletableFuture<List<?>> memorySearch(String query, String tag, int limit) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("this node cannot search memory"));
    }

    /** Replaces the long-term notes text; completes once durable here. */
    default CompletableFuture<Void> replaceNotes(String text) {
        return replaceNotes(text, Durability.LOCAL);
    }

    /** Replaces the long-term notes text; completes once durable as {@code durability} says. */
    CompletableFuture<Void> replaceNotes(String text, Durability durability);

    /** Creates or updates a task; completes with the stored task once durable here. */
    default CompletableFuture<Object> upsertTask(String id, String title, String status, String detail) {
        return upsertTask(id, title, status, detail, Durability.LOCAL);
    }

    /** Creates or updates a task; completes with the stored task once durable as {@code durability} says. */
    CompletableFuture<Object> upsertTask(String id, String title, String status, String detail,
                                         Durability durability);

    /** Records an action intent (kind, JSON payload) no agent run asked for; completes once durable. */
    default CompletableFuture<Object> requestIntent(String kind, String payloadJson) {
        return requestIntent(kind, payloadJson, null);
    }

    /**
     * Records an action intent (kind, JSON payload) with the agent fence the request carried ({@code <term>.<index>},
     * or null for none), kept in the intent; completes once durable. The leader performs it.
     */
    CompletableFuture<Object> requestIntent(String kind, String payloadJson, String fence);

    /**
     * The newest {@code limit} intents by request time (ties by id), oldest first, each as {@code {"intent", "outcome"}}
     * with the outcome null while not performed.
     */
    CompletableFuture<List<Map<String, Object>>> recentIntents(int limit);

    /**
     * As {@link #requestIntent(String, String, String)}, acknowledged once durable as {@code durability} says: with
     * {@code MAJORITY} a new leader holds the intent before it starts the next agent run, so the run's intent is
     * carried over and performed (docs/agents.md, "Intents of a superseded run").
     */
    default CompletableFuture<Object> requestIntent(String kind, String payloadJson, String fence,
                                                    Durability durability) {
        if (durability != Durability.LOCAL) {
            return CompletableFuture.failedFuture(new UnsupportedOperationException(
                    "this node cannot acknowledge an intent with durability " + durability.text()));
        }
        return requestIntent(kind, payloadJson, fence);
    }

    /** An intent and its outcome (null while not performed), or empty when unknown here. */
    CompletableFuture<Optional<Object>> intent(String id);

    /**
     * Creates or replaces a schedule: the leader turns each firing of the cron expression (in {@code zone}) into an
     * intent whose id is derived from (schedule id, fire time). Completes once durable; a bad cron, zone or catch-up
     * policy fails with IllegalArgumentException and changes nothing.
     */
    CompletableFuture<Object> addSchedule(String id, String cron, String zone, String kind, String payloadJson,
                                          String catchUp);

    /** The whole state as plain values. */
    CompletableFuture<Object> state();

    /** The raw Automerge document (what `agentmesh state export --automerge` writes), read on the node thread. */
    CompletableFuture<byte[]> exportAutomerge();

    /**
     * This node's consensus role changes and the claims its action journal applied, with sequence numbers above
     * {@code afterSeq}, on this node's clock (a {@code ConsensusEvents.Page}); empty when the node takes no part in
     * consensus.
     */
    CompletableFuture<Optional<Object>> consensusEvents(long afterSeq);

    /** Node, peers and store figures for operators. */
    CompletableFuture<Map<String, Object>> status();

    /**
     * The node removals this node enforces: each revocation (its JSON form's fields) and whether its node is
     * removed now (a later enrollment brings it back).
     */
    CompletableFuture<Map<String, Object>> revocations();

    /**
     * Hands a revocation to this node, which verifies it against the agent root, keeps it, enforces it and passes it
     * to every peer. Completes with true when it was new here; fails with IllegalArgumentException, changing
     * nothing, when the agent root did not sign it.
     */
    CompletableFuture<Boolean> revoke(NodeRevocation revocation);

    /**
     * What the agent root needs to sign the removal of {@code node}: its key and certificate issue time, and the
     * cut (for each of its actors, the highest seq this node or its other peers hold). Fails with
     * IllegalArgumentException when the node is not a member known here, or is this node.
     */
    CompletableFuture<Map<String, Object>> revocationDraft(NodeId node);

    /**
     * Whether a side-effecting call carrying agent fence {@code presented} must be refused: the body of the 409
     * answer when this node's journal knows a newer agent run, else empty ({@code node.agent.FenceCheck}). A node that
     * takes no part in consensus knows no agent run and refuses nothing.
     */
    default CompletableFuture<Optional<Map<String, Object>>> staleFence(
            io.agentmesh.node.actions.FencingToken presented) {
        return CompletableFuture.completedFuture(Optional.empty());
    }

    /**
     * The LLM gateway's status as this node sees it (docs/llm.md, "Status and costs"): health per target, calls in
     * flight and open in the ledger, budgets with spent and left, today's spend. Empty on a node that keeps no LLM
     * ledger (a witness).
     */
    default CompletableFuture<Optional<Map<String, Object>>> llmStatus() {
        return CompletableFuture.completedFuture(Optional.empty());
    }

    /**
     * What LLM calls cost per UTC day, provider and model over today and the {@code days - 1} days before it, with
     * totals, from this node's copy of the call ledger. Empty on a node that keeps no LLM ledger.
     */
    default CompletableFuture<Optional<Map<String, Object>>> llmCosts(int days) {
        return CompletableFuture.completedFuture(Optional.empty());
    }

    /**
     * The LLM gateway's figures in the Prometheus text format (spend, attempts, calls and tokens per provider and
     * model; availability, calls in flight and open, budgets). Empty on a node that keeps no LLM ledger.
     */
    default CompletableFuture<Optional<String>> llmMetrics() {
        return CompletableFuture.completedFuture(Optional.empty());
    }

    /** Whether the node serves requests (loaded, store healthy, not shutting down). */
    boolean ready();

    /**
     * Whether this node is a witness: it votes in consensus but holds no agent state, so the HTTP API refuses every
     * read and write of that state (409) and serves status, health and consensus events only.
     */
    boolean witness();

    /** The workspace endpoints ({@code /v1/workspace...}); empty on a node that serves none (a witness). */
    default Optional<io.agentmesh.node.workspace.WorkspaceHttp> workspace() {
        return Optional.empty();
    }

    /**
     * The agent's LLM endpoints ({@code /llm/...}, {@code llm.api.LlmHttp}); empty on a node that serves none (a
     * witness, or a node built without the gateway), which answers them 503 in the endpoint's error shape.
     */
    default Optional<io.agentmesh.node.llm.api.LlmHttp> llmEndpoints() {
        return Optional.empty();
    }

    /** The wallet's endpoints ({@code /v1/wallet...}); empty on a node without a wallet config. */
    default Optional<io.agentmesh.node.wallet.api.WalletHttp> walletEndpoints() {
        return Optional.empty();
    }

    /** The fault-injection controls, present only when the node was started with fault injection enabled. */
    Optional<FaultControl> faults();

    /** Partitions this node from peers on request of the live simulator. Thread-safe. */
    interface FaultControl {
        /**
         * Applies {@code action} (block, unblock, drop, delay, blockDirect, unblockDirect, clear) to {@code peer}
         * (ignored for clear); {@code delayMs} is for delay. Throws IllegalArgumentException on a bad request.
         */
        void apply(String action, String peer, long delayMs);

        Map<String, Object> snapshot();
    }

    /**
     * Runs a backup now to {@code target} (or every target) on this node, which must lead; completes when it is done
     * with {@code {"targets": [per-target report]}}, or at once with {@code {"notLeader": true, "leader": id}} on a
     * follower. Empty on a node that keeps no backups (a witness).
     */
    default CompletableFuture<Optional<Map<String, Object>>> backupNow(Optional<String> target) {
        return CompletableFuture.completedFuture(Optional.empty());
    }

    /** Per target: the newest run's time, manifest, objects, bytes and error. Empty on a node without backups. */
    default CompletableFuture<Optional<Map<String, Object>>> backupStatus() {
        return CompletableFuture.completedFuture(Optional.empty());
    }

    /**
     * Runs the restore drill now on this node, which must lead; completes with the signed report ({@code {"report",
     * "signature"}}), or at once with {@code {"notLeader": true, "leader": id}}. Empty on a node without backups.
     */
    default CompletableFuture<Optional<Map<String, Object>>> drillNow(Optional<String> target) {
        return CompletableFuture.completedFuture(Optional.empty());
    }

    /** The node's meters for GET /metrics; empty where the node has none. */
    default Optional<MetricsSource> metrics() {
        return Optional.empty();
    }

    /** Per target: the newest drill's summary and its state (ok, failed, missing, none). */
    default CompletableFuture<Optional<Map<String, Object>>> drillStatus() {
        return CompletableFuture.completedFuture(Optional.empty());
    }
}
