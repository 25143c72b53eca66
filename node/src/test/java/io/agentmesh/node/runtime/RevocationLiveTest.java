package io.agentmesh.node.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.agentmesh.node.runtime.KillNineRestartTest.freePort;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The operator's path through separate processes: two nodes enrolled with the command line, one removed by
 * `node remove --out` plus `node revoke-apply` and again by `node remove`; bad revocations get a clear 400 and change
 * nothing.
 */
class RevocationLiveTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String group(Pattern p, String text) {
        Matcher m = p.matcher(text);
        assertTrue(m.find(), "no " + p + " in:\n" + text);
        return m.group(1);
    }

    private static boolean hasMemory(NodeProcess node, String text) throws Exception {
        for (JsonNode e : JSON.readTree(node.get("/v1/memory").body()).get("entries")) {
            if (e.get("text").asText().equals(text)) {
                return true;
            }
        }
        return false;
    }

    private static String linkTo(NodeProcess node, String peer) throws Exception {
        for (JsonNode p : JSON.readTree(node.get("/v1/status").body()).get("peers")) {
            if (p.get("node").asText().equals(peer)) {
                return p.get("link").asText();
            }
        }
        return "unknown";
    }

    @Test
    void aNodeRemovedWithTheCommandLineIsCutOffAndItsLaterWritesStayOut(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Path cli = dir.resolve("cli.log");
        assertEquals(0, NodeProcess.runCli(cli, "init", "--home", a.toString(), "--quiet-phrase"), NodeProcess.read(cli));
        String aId = group(Pattern.compile("node  (node1\\w+)"), NodeProcess.read(cli));
        assertEquals(0, NodeProcess.runCli(cli, "node", "keygen", "--home", b.toString()), NodeProcess.read(cli));
        String bId = group(Pattern.compile("node (node1\\w+)"), NodeProcess.read(cli));
        String bKey = group(Pattern.compile("public key ([0-9a-f]{64})"), NodeProcess.read(cli));
        Path cert = dir.resolve("b-cert.json");
        assertEquals(0, NodeProcess.runCli(cli, "node", "enroll", "--home", a.toString(), "--public-key", bKey,
                "--out", cert.toString()), NodeProcess.read(cli));
        assertEquals(0, NodeProcess.runCli(cli, "node", "join", "--home", b.toString(), "--certificate",
                cert.toString()), NodeProcess.read(cli));

        int aMesh = freePort();
        int bMesh = freePort();
        Path aLog = dir.resolve("a.log");
        Path bLog = dir.resolve("b.log");
        try (NodeProcess na = NodeProcess.start(a, aMesh, freePort(), aLog, "--peer", bId + "@127.0.0.1:" + bMesh);
             NodeProcess nb = NodeProcess.start(b, bMesh, freePort(), bLog, "--peer", aId + "@127.0.0.1:" + aMesh)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> na.ready() && nb.ready());
            assertEquals(201, nb.post("/v1/memory", "{\"text\":\"before\"}").statusCode());
            await().atMost(Duration.ofSeconds(20)).until(() -> hasMemory(na, "before"));

            // Signed where the root key lives, written to a file, nothing sent yet.
            Path revocation = dir.resolve("revoke-b.json");
            String http = "127.0.0.1:" + na.httpPort;
            assertEquals(0, NodeProcess.runCli(cli, "node", "remove", bId, "--home", a.toString(), "--http", http,
                    "--reason", "decommissioned", "--out", revocation.toString()), NodeProcess.read(cli));
            assertTrue(NodeProcess.read(cli).contains("up to seq 1"), NodeProcess.read(cli));
            assertEquals("up", linkTo(na, bId));

            // Bad revocations: a clear 400, and nothing changes.
            String json = Files.readString(revocation);
            assertEquals(400, na.post("/v1/revocations", "not json").statusCode());
            var tampered = na.post("/v1/revocations", json.replace("\"lastValidSeq\" : 1", "\"lastValidSeq\" : 9"));
            assertEquals(400, tampered.statusCode());
            assertTrue(tampered.body().contains("invalid signature"), tampered.body());
            var extra = na.post("/v1/revocations", json.replace("{", "{ \"extra\" : 1,"));
            assertEquals(400, extra.statusCode());
            assertTrue(extra.body().contains("unknown field"), extra.body());
            assertEquals(0, JSON.readTree(na.get("/v1/revocations").body()).get("revocations").size());
            assertEquals("up", linkTo(na, bId));

            assertEquals(0, NodeProcess.runCli(cli, "node", "revoke-apply", "--file", revocation.toString(),
                    "--http", http), NodeProcess.read(cli));
            await().atMost(Duration.ofSeconds(5)).until(() -> linkTo(na, bId).equals("removed")
                    && !linkTo(nb, aId).equals("up"));
            JsonNode listed = JSON.readTree(na.get("/v1/revocations").body()).get("revocations");
            assertEquals(bId, listed.get(0).get("node").asText());
            assertEquals("decommissioned", listed.get(0).get("reason").asText());
            assertTrue(NodeProcess.read(aLog).contains("(REVOKED)") || linkTo(nb, aId).startsWith("down"));

            assertEquals(201, nb.post("/v1/memory", "{\"text\":\"after\"}").statusCode());
            // Signed again with a later time and handed over directly: a second record, the same removal.
            assertEquals(0, NodeProcess.runCli(cli, "node", "remove", bId, "--home", a.toString(), "--http", http),
                    NodeProcess.read(cli));
            assertTrue(NodeProcess.read(cli).contains("node " + bId + " removed"), NodeProcess.read(cli));
            // For 2 s the removed node's write stays out of the mesh.
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
                    .until(() -> !hasMemory(na, "after"));
            assertEquals(0, na.terminate());
            assertEquals(0, nb.terminate());
        }
    }
}
