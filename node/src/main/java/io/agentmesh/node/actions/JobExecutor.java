package io.agentmesh.node.actions;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.protocol.time.Clock;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Executes intents of kind {@code job}: the side effect is one line appended and fsynced to this node's
 * {@code performed.jsonl} (intent id, fencing token, node, time). It is the simplest real outside effect, and the
 * live simulator reads every node's file to check that each intent was performed once, by a node holding a
 * committed claim.
 *
 * <p>At most once: before touching the file the executor commits a "started" mark through the journal's prepare
 * step; that is also its safe point, where a leader that lost its claim stops ({@link ActionCancelledException})
 * with nothing done. Once the mark is committed the job runs to its end even if leadership is lost meanwhile, and
 * the coordinator reports its real result (see {@link ActionCoordinator}). A new leader that takes over a claim
 * (reconcile) performs the job only when no mark was committed, i.e. the previous holder never started it; with a
 * mark it reports the outcome as {@code uncertain} rather than risk a second run. It gets there only when the
 * holder could not report: it died, stayed unreachable, or did not report within the coordinator's wait. A job has
 * no receipt to consult, so that window is the price of never running twice.
 */
public final class JobExecutor implements ActionExecutor {
    public static final String KIND = "job";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final String nodeId;
    private final Clock clock;
    private final Executor disk;

    /**
     * @param clock the wall-clock time written with each performed job
     * @param disk  where the append and its fsync run: never the node thread, which the prepare's continuation
     *              would otherwise be (an fsync there stalls Raft heartbeats; docs/architecture.md)
     */
    public JobExecutor(Path file, String nodeId, Clock clock, Executor disk) {
        this.file = file;
        this.nodeId = nodeId;
        this.clock = clock;
        this.disk = disk;
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public CompletionStage<ActionResult> perform(ActionContext ctx) {
        return ctx.prepare(STARTED).thenApplyAsync(committed -> append(ctx), disk);
    }

    private static final byte[] STARTED = "started".getBytes(StandardCharsets.US_ASCII);

    private ActionResult append(ActionContext ctx) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("intent", ctx.intentId());
        line.put("node", nodeId);
        line.put("term", ctx.token().term());
        line.put("index", ctx.token().index());
        line.put("timeMillis", clock.nowMillis());
        line.put("payload", ctx.payloadJson());
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            out.write(java.nio.ByteBuffer.wrap((JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8)));
            out.force(false);
        } catch (IOException e) {
            return ActionResult.failed("could not record the job in " + file + ": " + e.getMessage());
        }
        return ActionResult.succeeded("performed by " + nodeId + " at term " + ctx.token().term());
    }

    @Override
    public CompletionStage<ActionResult> reconcile(ActionContext ctx, Optional<byte[]> prepared) {
        if (prepared.isEmpty()) {
            return perform(ctx); // the previous leader never started it
        }
        return CompletableFuture.completedFuture(ActionResult.uncertain("the previous leader started this job and"
                + " could not report how it ended (it died or stayed out of reach); not run again (at most once)"));
    }
}
