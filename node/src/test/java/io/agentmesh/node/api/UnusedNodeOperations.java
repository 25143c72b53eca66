package io.agentmesh.node.api;

import io.agentmesh.node.replication.Durability;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.NodeRevocation;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A node for HTTP API tests: every operation fails the test ("not used") until a test overrides the ones its requests
 * reach; ready, not a witness, no fault control.
 */
abstract class UnusedNodeOperations implements NodeOperations {
    static AssertionError unused() {
        return new AssertionError("not used");
    }

    @Override
    public CompletableFuture<Object> appendMemory(String kind, String text, List<String> tags, Durability durability) {
        throw unused();
    }

    @Override
    public CompletableFuture<List<?>> memory(int limit) {
        throw unused();
    }

    @Override
    public CompletableFuture<byte[]> exportAutomerge() {
        throw unused();
    }

    @Override
    public CompletableFuture<Void> replaceNotes(String text, Durability durability) {
        throw unused();
    }

    @Override
    public CompletableFuture<Object> upsertTask(String id, String title, String status, String detail,
                                                Durability durability) {
        throw unused();
    }

    @Override
    public CompletableFuture<Object> requestIntent(String kind, String payloadJson, String fence) {
        throw unused();
    }

    @Override
    public CompletableFuture<List<Map<String, Object>>> recentIntents(int limit) {
        throw unused();
    }

    @Override
    public CompletableFuture<Optional<Object>> intent(String id) {
        throw unused();
    }

    @Override
    public CompletableFuture<Object> addSchedule(String id, String cron, String zone, String kind, String payloadJson,
                                                String catchUp) {
        throw unused();
    }

    @Override
    public CompletableFuture<Object> state() {
        throw unused();
    }

    @Override
    public CompletableFuture<Optional<Object>> consensusEvents(long afterSeq) {
        throw unused();
    }

    @Override
    public CompletableFuture<Map<String, Object>> status() {
        throw unused();
    }

    @Override
    public CompletableFuture<Map<String, Object>> revocations() {
        throw unused();
    }

    @Override
    public CompletableFuture<Boolean> revoke(NodeRevocation revocation) {
        throw unused();
    }

    @Override
    public CompletableFuture<Map<String, Object>> revocationDraft(NodeId node) {
        throw unused();
    }

    @Override
    public boolean ready() {
        return true;
    }

    @Override
    public boolean witness() {
        return false;
    }

    @Override
    public Optional<FaultControl> faults() {
        return Optional.empty();
    }
}
