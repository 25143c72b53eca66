package io.agentmesh.node.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.agentmesh.protocol.identity.AgentId;
import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.NodeRevocation;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.identity.VerifyingKey;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Removing a node from an agent: {@code node remove} where the agent root key lives asks a running node for the
 * removed node's key and cut, signs the revocation and hands it to that node, which passes it to every peer.
 * {@code node revoke-apply} feeds a revocation written with {@code node remove --out} to any node, for a root key
 * kept on a machine that runs none.
 */
final class RevokeCommands {
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private RevokeCommands() {
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = {"Remove a node from the agent: sign its revocation with the agent root key and hand it to"
                    + " a running node, which passes it to every peer. Its certificates die, its connections close,"
                    + " and its changes after the cut are refused everywhere.",
                    "The cut (for each of the node's actors, the last change that stays valid) comes from the node at"
                            + " --http, or from --draft."})
    static final class Remove implements Callable<Integer> {
        @Mixin
        HomeOptions home;

        @Parameters(index = "0", paramLabel = "<node-id>", description = "The node to remove (node1...).")
        String nodeId;

        @Option(names = "--reason", defaultValue = "removed with agentmesh node remove",
                description = "Why, for the logs of every node (at most 256 bytes, one line; default: ${DEFAULT-VALUE}).")
        String reason;

        @Option(names = "--http", defaultValue = "127.0.0.1:7070",
                description = "A running node of the agent, other than the one removed (default ${DEFAULT-VALUE}).")
        String http;

        @Option(names = "--out", description = "Only write the signed revocation to this file (JSON), for"
                + " `agentmesh node revoke-apply --file` on any node.")
        Path out;

        @Option(names = "--draft", description = "Read the cut from this file (the answer of GET"
                + " /v1/revocations/draft?node=<node-id> saved elsewhere) instead of asking --http.")
        Path draftFile;

        @Override
        public Integer call() throws Exception {
            IdentityDirectory dir = IdentityDirectory.of(home.identityDir());
            if (!dir.hasAgentRootKey()) {
                throw new IllegalArgumentException("no agent root key in " + dir.path() + "; run remove where the root"
                        + " key lives, or recover it with `agentmesh identity recover`");
            }
            NodeId node = NodeId.parse(nodeId.strip());
            Draft draft = draftFile != null
                    ? Draft.parse(Files.readString(draftFile, StandardCharsets.UTF_8), "draft " + draftFile)
                    : Draft.parse(NodeHttp.get(http, "/v1/revocations/draft?node="
                    + URLEncoder.encode(node.toString(), StandardCharsets.UTF_8)), "the draft from " + http);
            if (!NodeId.of(draft.nodeKey).equals(node)) {
                throw new IllegalArgumentException("the draft is for node " + NodeId.of(draft.nodeKey) + ", not for "
                        + node);
            }
            SigningKey root = dir.readAgentRoot(home.passphrase());
            if (!root.verifyingKey().equals(draft.agentRoot)) {
                throw new IllegalArgumentException("node " + node + " belongs to agent " + AgentId.of(draft.agentRoot)
                        + ", but the root key in " + dir.path() + " is agent " + AgentId.of(root.verifyingKey()));
            }
            // Never before the certificate it must kill, even if this machine's clock is behind the one that issued it.
            long revokedAt = Math.max(System.currentTimeMillis(), draft.certificateIssuedAt);
            NodeRevocation revocation = NodeRevocation.issue(root, draft.nodeKey, revokedAt, reason, draft.cut);
            String cut = describe(revocation.cut());
            if (out != null) {
                Files.writeString(out, revocation.toJson(), StandardCharsets.UTF_8);
                System.out.println("signed the removal of node " + node + " (" + cut + "); written to " + out);
                System.out.println("Hand it to any node of the agent: agentmesh node revoke-apply --file "
                        + out.getFileName() + " --http <that node's API>");
                return 0;
            }
            boolean added = post(http, revocation);
            System.out.println("node " + node + (added ? " removed" : " was already removed") + " at "
                    + Instant.ofEpochMilli(revokedAt) + " (" + cut + "); the node at " + http
                    + " passes it to every peer");
            return 0;
        }
    }

    @Command(name = "revoke-apply", mixinStandardHelpOptions = true,
            description = "Hand a revocation signed with `agentmesh node remove --out` to a running node, which"
                    + " verifies it and passes it to every peer.")
    static final class Apply implements Callable<Integer> {
        @Option(names = "--file", required = true, description = "The revocation (JSON).")
        Path file;

        @Option(names = "--http", defaultValue = "127.0.0.1:7070",
                description = "A running node of the agent (default ${DEFAULT-VALUE}).")
        String http;

        @Override
        public Integer call() throws Exception {
            NodeRevocation revocation = NodeRevocation.fromJson("revocation " + file,
                    Files.readString(file, StandardCharsets.UTF_8));
            boolean added = post(http, revocation);
            System.out.println("node " + revocation.nodeId() + (added ? " removed" : " was already removed")
                    + " on the node at " + http + " (" + describe(revocation.cut()) + "); it passes it to every peer");
            return 0;
        }
    }

    /** The draft a node answers with, read strictly: a wrong or missing field is named. */
    private record Draft(VerifyingKey nodeKey, VerifyingKey agentRoot, long certificateIssuedAt,
                         List<NodeRevocation.Cut> cut) {
        static Draft parse(String text, String what) {
            JsonNode d;
            try {
                d = JSON.readTree(text);
            } catch (IOException e) {
                throw new IllegalArgumentException(what + " is not valid JSON: "
                        + e.getMessage().lines().findFirst().orElse(""));
            }
            if (d == null || !d.isObject()) {
                throw new IllegalArgumentException(what + " is not a JSON object");
            }
            VerifyingKey nodeKey = VerifyingKey.fromHex(text(d, "nodeKey", what));
            VerifyingKey root = VerifyingKey.fromHex(text(d, "agentRootKey", what));
            JsonNode issuedAt = d.get("certificateIssuedAt");
            JsonNode entries = d.get("cut");
            if (issuedAt == null || !issuedAt.canConvertToLong() || !issuedAt.isIntegralNumber()) {
                throw new IllegalArgumentException(what + " has no whole number 'certificateIssuedAt'");
            }
            if (entries == null || !entries.isArray()) {
                throw new IllegalArgumentException(what + " has no array 'cut'");
            }
            List<NodeRevocation.Cut> cut = new ArrayList<>();
            for (JsonNode e : entries) {
                JsonNode seq = e.get("lastValidSeq");
                if (seq == null || !seq.isIntegralNumber() || !seq.canConvertToLong()) {
                    throw new IllegalArgumentException(what + ": a cut entry has no whole number 'lastValidSeq'");
                }
                byte[] actor;
                try {
                    actor = HexFormat.of().parseHex(text(e, "actor", what));
                } catch (IllegalArgumentException bad) {
                    throw new IllegalArgumentException(what + ": a cut entry's actor is not hex digits");
                }
                cut.add(new NodeRevocation.Cut(actor, seq.longValue()));
            }
            return new Draft(nodeKey, root, issuedAt.longValue(), cut);
        }

        private static String text(JsonNode d, String field, String what) {
            JsonNode v = d.get(field);
            if (v == null || !v.isTextual()) {
                throw new IllegalArgumentException(what + " has no text field '" + field + "'");
            }
            return v.textValue();
        }
    }

    private static String describe(List<NodeRevocation.Cut> cut) {
        if (cut.isEmpty()) {
            return "no change of it stays valid";
        }
        List<String> parts = new ArrayList<>();
        cut.forEach(c -> parts.add("actor " + c.actorHex().substring(0, 8) + " up to seq " + c.lastValidSeq()));
        return "its changes stay valid for " + String.join(", ", parts);
    }

    /** Hands the revocation to the node at {@code http}; true when it was new there. */
    private static boolean post(String http, NodeRevocation revocation) throws IOException, InterruptedException {
        HttpResponse<String> r = NodeHttp.exchange(http, "POST", "/v1/revocations", revocation.toJson(), 10_000,
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201 && r.statusCode() != 200) {
            throw new IOException("node at " + http + " refused the revocation (" + r.statusCode() + "): "
                    + NodeHttp.error(r.body()));
        }
        return r.statusCode() == 201;
    }

}
