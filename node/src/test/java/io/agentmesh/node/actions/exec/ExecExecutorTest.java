package io.agentmesh.node.actions.exec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.actions.ActionCancelledException;
import io.agentmesh.node.actions.ActionContext;
import io.agentmesh.node.actions.ActionResult;
import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.schedules.ScheduleExpander;
import io.agentmesh.protocol.time.SystemClock;
import io.agentmesh.state.Intent;
import io.agentmesh.state.Schedule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The exec executor with real processes: what the command gets (stdin, environment), what the outcome says (exit
 * code, bounded output, timeouts that kill the whole process group), and what it refuses without running anything.
 */
class ExecExecutorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final FencingToken TOKEN = new FencingToken(3, 17);

    @TempDir
    Path dir;

    private final List<byte[]> marks = new ArrayList<>();

    private static ExecCommand sh(String name, String script, long timeoutMs, long graceMs, int maxOutput,
                                  ExecCommand.Mode mode) {
        return new ExecCommand(name, List.of("/bin/sh", "-c", script, name), timeoutMs, graceMs, maxOutput, mode,
                Optional.empty());
    }

    private static ExecCommand sh(String name, String script) {
        return sh(name, script, 10_000, 1_000, 4096, ExecCommand.Mode.AT_MOST_ONCE);
    }

    private ExecExecutor executor(ExecCommand... commands) {
        Map<String, ExecCommand> byName = new java.util.TreeMap<>();
        for (ExecCommand c : commands) {
            byName.put(c.name(), c);
        }
        return new ExecExecutor(new ExecCommands(Optional.of(dir.resolve("exec.json")), byName), "node-a",
                new CommandRunner(new SystemClock()), System.getenv("PATH"));
    }

    private ActionContext ctx(String intentId, String payload) {
        return new ActionContext(intentId, ExecExecutor.KIND, payload, TOKEN, "node-a", data -> {
            marks.add(data);
            return CompletableFuture.completedFuture(null);
        });
    }

    private static ActionResult done(java.util.concurrent.CompletionStage<ActionResult> stage) throws Exception {
        return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static JsonNode json(ActionResult r) throws Exception {
        return JSON.readTree(r.result());
    }

    @Test
    void theCommandGetsItsArgsOnStdinAndTheFenceKeyAndNodeInItsEnvironment() throws Exception {
        ExecExecutor exec = executor(sh("show", "cat; echo \"fence=$AGENTMESH_FENCE key=$AGENTMESH_IDEMPOTENCY_KEY"
                + " node=$AGENTMESH_NODE_ID term=$AGENTMESH_FENCE_TERM\"; echo to-stderr >&2"));
        ActionResult r = done(exec.perform(ctx("intent-1", "{\"command\":\"show\",\"args\":{\"to\":\"ops\",\"n\":2}}")));
        assertEquals(ActionResult.SUCCEEDED, r.status(), r.result());
        JsonNode out = json(r);
        assertEquals("{\"to\":\"ops\",\"n\":2}\nfence=3:17 key=intent-1 node=node-a term=3\n",
                out.get("stdout").asText());
        assertEquals("to-stderr\n", out.get("stderr").asText());
        assertEquals(0, out.get("exitCode").asInt());
        assertFalse(out.get("stdoutTruncated").asBoolean());
        assertTrue(out.get("durationMs").asLong() >= 0);
        assertEquals(1, marks.size(), "one start mark before the process ran");
        assertEquals("{\"command\":\"show\",\"mode\":\"at-most-once\"}", new String(marks.get(0),
                StandardCharsets.UTF_8));
    }

    @Test
    void aNonZeroExitFailsWithItsCodeAndStderr() throws Exception {
        ActionResult r = done(executor(sh("fail", "echo 'disk full' >&2; exit 3"))
                .perform(ctx("i", "{\"command\":\"fail\"}")));
        assertEquals(ActionResult.FAILED, r.status());
        JsonNode out = json(r);
        assertEquals(3, out.get("exitCode").asInt());
        assertEquals("exit code 3", out.get("error").asText());
        assertEquals("disk full\n", out.get("stderr").asText());
    }

    @Test
    void outputBeyondTheBoundIsCountedCutAndSaidToBeCut() throws Exception {
        ExecCommand noisy = sh("noisy", "head -c 200000 /dev/zero | tr '\\0' 'x'", 10_000, 1_000, 1000,
                ExecCommand.Mode.AT_MOST_ONCE);
        ActionResult r = done(executor(noisy).perform(ctx("i", "{\"command\":\"noisy\"}")));
        assertEquals(ActionResult.SUCCEEDED, r.status(), r.result());
        JsonNode out = json(r);
        assertEquals(1000, out.get("stdout").asText().length());
        assertEquals(200_000, out.get("stdoutBytes").asLong());
        assertTrue(out.get("stdoutTruncated").asBoolean());
    }

    @Test
    void aCommandThatIgnoresSigtermIsKilledWithItsWholeProcessGroupAtTheTimeout() throws Exception {
        Path pids = dir.resolve("pids");
        // The shell ignores SIGTERM and so does its background child; both must be gone after SIGKILL to the group.
        ExecCommand stubborn = sh("stubborn", "trap '' TERM; sleep 60 & echo $! > " + pids + "; echo $$ >> " + pids
                + "; wait; sleep 60", 500, 500, 4096, ExecCommand.Mode.AT_MOST_ONCE);
        long t0 = System.nanoTime();
        ActionResult r = done(executor(stubborn).perform(ctx("i", "{\"command\":\"stubborn\"}")));
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(ActionResult.FAILED, r.status(), r.result());
        JsonNode out = json(r);
        assertTrue(out.get("error").asText().startsWith("timed out after 500 ms"), out.toString());
        assertTrue(out.get("error").asText().contains("SIGKILL"), out.toString());
        assertTrue(tookMs < 10_000, "bounded by timeout + grace + drain, took " + tookMs + " ms");
        for (String line : Files.readAllLines(pids)) {
            long pid = Long.parseLong(line.strip());
            await().atMost(java.time.Duration.ofSeconds(5)).until(() -> ProcessHandle.of(pid)
                    .map(h -> !h.isAlive()).orElse(true));
        }
    }

    @Test
    void aCommandThatHonoursSigtermStopsAtTheTimeoutWithoutSigkill() throws Exception {
        ActionResult r = done(executor(sh("slow", "sleep 30", 300, 5_000, 4096, ExecCommand.Mode.AT_MOST_ONCE))
                .perform(ctx("i", "{\"command\":\"slow\"}")));
        assertEquals(ActionResult.FAILED, r.status());
        JsonNode out = json(r);
        assertTrue(out.get("error").asText().endsWith("and it stopped"), out.toString());
    }

    @Test
    void performReturnsAtOnceWhileTheCommandRunsElsewhere() throws Exception {
        ExecExecutor exec = executor(sh("nap", "sleep 1"));
        long t0 = System.nanoTime();
        CompletableFuture<ActionResult> f = exec.perform(ctx("i", "{\"command\":\"nap\"}")).toCompletableFuture();
        long returnedMs = (System.nanoTime() - t0) / 1_000_000;
        assertFalse(f.isDone(), "the process runs off the calling (node) thread");
        assertTrue(returnedMs < 500, "perform returned after " + returnedMs + " ms");
        assertEquals(ActionResult.SUCCEEDED, f.get(30, TimeUnit.SECONDS).status());
    }

    @Test
    void anUnknownCommandBadArgsOrAMissingProgramFailAsNotPerformedWithNothingMarkedOrRun() throws Exception {
        Path ran = dir.resolve("ran");
        ExecExecutor exec = executor(sh("touch", "touch " + ran),
                new ExecCommand("ghost", List.of("/nonexistent/bin/ghost"), 1000, 100, 100,
                        ExecCommand.Mode.AT_MOST_ONCE, Optional.empty()),
                new ExecCommand("ghost2", List.of("agentmesh-no-such-program-xyz"), 1000, 100, 100,
                        ExecCommand.Mode.AT_MOST_ONCE, Optional.empty()));
        record Case(String payload, String says) {
        }
        for (Case c : List.of(
                new Case("{\"command\":\"nope\"}", "no command \"nope\" in the exec config"),
                new Case("{\"command\":\"touch\",\"args\":[1,2]}", "bad args: \"args\" must be a JSON object"),
                new Case("{\"command\":\"touch\",\"argz\":{}}", "unknown key \"argz\""),
                new Case("{\"args\":{}}", "needs \"command\""),
                new Case("[\"touch\"]", "exec payload is a JSON object"),
                new Case("not json", "not valid JSON"),
                new Case("{\"command\":\"ghost\"}", "was not found on node node-a (no such executable file)"),
                new Case("{\"command\":\"ghost2\"}", "(not on its PATH)"))) {
            ActionResult r = done(exec.perform(ctx("i", c.payload())));
            assertEquals(ActionResult.FAILED, r.status(), c.payload());
            assertTrue(r.result().startsWith("not performed: "), r.result());
            assertTrue(r.result().contains(c.says()), c.payload() + " -> " + r.result());
        }
        assertTrue(marks.isEmpty(), "nothing refused up front leaves a start mark");
        assertFalse(Files.exists(ran));
    }

    @Test
    void aRefusedStartMarkRunsNothing() throws Exception {
        Path ran = dir.resolve("ran");
        ExecExecutor exec = executor(sh("touch", "touch " + ran));
        ActionContext lost = new ActionContext("i", ExecExecutor.KIND, "{\"command\":\"touch\"}", TOKEN, "node-a",
                data -> CompletableFuture.failedFuture(new ActionCancelledException("lost the claim", null)));
        CompletionException e = assertThrows(CompletionException.class,
                () -> exec.perform(lost).toCompletableFuture().join());
        assertInstanceOf(ActionCancelledException.class, e.getCause());
        Thread.sleep(200);
        assertFalse(Files.exists(ran), "the safe point is before the process starts");
    }

    @Test
    void reconcileIsUncertainForAtMostOnceAndRunsAgainOnlyWhenMarkAndTableBothSayIdempotent() throws Exception {
        Path runs = dir.resolve("runs");
        String script = "echo run >> " + runs;
        ExecExecutor exec = executor(sh("once", script),
                sh("again", script, 10_000, 1_000, 100, ExecCommand.Mode.IDEMPOTENT));
        byte[] onceMark = "{\"command\":\"once\",\"mode\":\"at-most-once\"}".getBytes(StandardCharsets.UTF_8);
        byte[] againMark = "{\"command\":\"again\",\"mode\":\"idempotent\"}".getBytes(StandardCharsets.UTF_8);
        byte[] staleMark = "{\"command\":\"once\",\"mode\":\"idempotent\"}".getBytes(StandardCharsets.UTF_8);

        ActionResult uncertain = done(exec.reconcile(ctx("a", "{\"command\":\"once\"}"), Optional.of(onceMark)));
        assertEquals(ActionResult.UNCERTAIN, uncertain.status());
        assertTrue(uncertain.result().contains("not run again"), uncertain.result());
        assertEquals(ActionResult.UNCERTAIN, done(exec.reconcile(ctx("b", "{\"command\":\"once\"}"),
                Optional.of(staleMark))).status(), "this node's table says at most once: that wins");
        assertEquals(ActionResult.UNCERTAIN, done(exec.reconcile(ctx("c", "{\"command\":\"once\"}"),
                Optional.of("garbage".getBytes(StandardCharsets.UTF_8)))).status());
        assertFalse(Files.exists(runs), "nothing ran again");

        assertEquals(ActionResult.SUCCEEDED, done(exec.reconcile(ctx("d", "{\"command\":\"again\"}"),
                Optional.of(againMark))).status());
        assertEquals(ActionResult.SUCCEEDED, done(exec.reconcile(ctx("e", "{\"command\":\"once\"}"),
                Optional.empty())).status(), "no mark: the earlier holder never started it");
        assertEquals(List.of("run", "run"), Files.readAllLines(runs));
    }

    @Test
    void aCronScheduleOfKindExecFiresTheCommandLikeAnyIntent() throws Exception {
        Path stamp = dir.resolve("stamp");
        ExecExecutor exec = executor(sh("stamp", "cat > " + stamp));
        long t0 = Instant.parse("2026-01-05T10:00:00Z").toEpochMilli();
        Schedule hourly = new Schedule("hourly", "0 * * * *", "UTC", ExecExecutor.KIND,
                "{\"command\":\"stamp\",\"args\":{\"why\":\"cron\"}}", "skip", t0 - 1);
        List<Intent> due = new ScheduleExpander(60_000, 100).due(hourly, t0 + 3_600_000, id -> false);
        assertEquals(1, due.size());
        Intent i = due.get(0);
        ActionResult r = done(exec.perform(ctx(i.id(), i.payloadJson())));
        assertEquals(ActionResult.SUCCEEDED, r.status(), r.result());
        assertEquals("{\"why\":\"cron\"}", Files.readString(stamp).strip());
    }
}
