package io.agentmesh.node.backup.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentmesh.node.actions.ActionCancelledException;
import io.agentmesh.node.actions.ActionContext;
import io.agentmesh.node.actions.ActionExecutor;
import io.agentmesh.node.actions.ActionResult;
import io.agentmesh.node.port.Failures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * Backups and drills as actions (docs/backup.md, "Schedules"): the executors of the intent kinds {@code backup} and
 * {@code drill}, payload {@code {"target": "<id>" | "all"}}, so cron schedules and {@code agentmesh act} trigger
 * them, the leader performs each once through the action journal, and the outcome is in the replicated state.
 *
 * <p>Both are idempotent, and say so in their start mark: a backup only puts immutable, content-addressed objects (a
 * repeat writes nothing new, or a newer manifest over the same objects), a drill only reads the targets. So a leader
 * that takes over a claim whose holder died mid-run runs it again under its own claim instead of reporting
 * {@code uncertain}. A payload that names no target of this node's backup.json fails at once as "not performed", with
 * no start mark. A run cut short by this node's shutdown never completes its stage, so this node reports nothing and
 * the next leader runs it again.
 *
 * <p>Threading: {@link ActionExecutor#perform} and {@link ActionExecutor#reconcile} return at once; the runs happen on
 * the runner's and the drill's own threads.
 */
public final class BackupActions {
    private static final Logger log = LoggerFactory.getLogger(BackupActions.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private BackupActions() {
    }

    /** The executor of {@code backup} intents over this node's runner. */
    public static ActionExecutor backup(BackupRunner runner, String nodeId) {
        return new Idempotent(BackupSchedules.BACKUP_KIND, runner.targetIds(), nodeId, (target) ->
                runner.run(target).thenApply(reports -> {
                    ArrayNode list = JSON.createArrayNode();
                    boolean ok = !reports.isEmpty();
                    for (BackupRunner.TargetReport r : reports) {
                        ok &= r.ok();
                        ObjectNode t = list.addObject();
                        t.put("target", r.target());
                        t.put("ok", r.ok());
                        r.manifest().ifPresent(m -> t.put("manifest", m.number()));
                        t.put("changesAdded", r.changesAdded());
                        t.put("objectsWritten", r.objectsWritten());
                        t.put("bytesWritten", r.bytesWritten());
                        r.error().ifPresent(e -> t.put("error", e));
                    }
                    return new Done(ok, list);
                }));
    }

    /** The executor of {@code drill} intents: each target drilled on its own, one after the other ("all"). */
    public static ActionExecutor drill(Drill drill, String nodeId) {
        return new Idempotent(BackupSchedules.DRILL_KIND, drill.targetIds(), nodeId, (target) -> {
            List<String> ids = target.map(List::of).orElse(drill.targetIds());
            CompletableFuture<ArrayNode> chain = CompletableFuture.completedFuture(JSON.createArrayNode());
            // Every target in turn, each on its own: a fallback would leave the targets after the first unproven.
            for (String id : ids) {
                chain = chain.thenCompose(list -> drill.start(Optional.of(id)).thenApply(report -> {
                    for (JsonNode a : report.path("report").path("attempts")) {
                        ObjectNode t = list.addObject();
                        t.put("target", a.path("target").asText());
                        t.put("ok", a.path("ok").asBoolean());
                        if (a.has("manifest")) {
                            t.put("manifest", a.path("manifest").asLong());
                            t.put("changes", a.path("changes").asLong());
                            t.put("recoveryMs", a.path("recoveryMs").path("total").asLong());
                            t.put("lostChanges", a.path("lostWrites").path("changes").asLong());
                        }
                        if (a.has("error")) {
                            t.put("error", a.path("error").asText());
                        }
                    }
                    return list;
                }));
            }
            return chain.thenApply(list -> {
                boolean ok = !list.isEmpty();
                for (JsonNode t : list) {
                    ok &= t.path("ok").asBoolean();
                }
                return new Done(ok, list);
            });
        });
    }

    private record Done(boolean ok, ArrayNode targets) {
    }

    private static final class Idempotent implements ActionExecutor {
        private final String kind;
        private final List<String> targets;
        private final String nodeId;
        private final Function<Optional<String>, CompletableFuture<Done>> run;

        Idempotent(String kind, List<String> targets, String nodeId, Function<Optional<String>, CompletableFuture<Done>> run) {
            this.kind = kind;
            this.targets = List.copyOf(targets);
            this.nodeId = nodeId;
            this.run = run;
        }

        @Override
        public String kind() {
            return kind;
        }

        @Override
        public CompletionStage<ActionResult> perform(ActionContext ctx) {
            return start(ctx, false);
        }

        @Override
        public CompletionStage<ActionResult> reconcile(ActionContext ctx, Optional<byte[]> prepared) {
            if (prepared.isPresent()) {
                log.info("node {} runs {} intent {} again under {}: an earlier leader started it and could not report"
                        + " (idempotent)", nodeId, kind, ctx.intentId(), ctx.token());
            }
            return start(ctx, prepared.isPresent());
        }

        private CompletionStage<ActionResult> start(ActionContext ctx, boolean again) {
            Optional<String> target;
            try {
                target = BackupSchedules.target(ctx.payloadJson());
            } catch (IllegalArgumentException e) {
                return refuse(ctx, e.getMessage());
            }
            if (targets.isEmpty()) {
                return refuse(ctx, "node " + nodeId + " has no backup targets (list them in <home>/backup.json;"
                        + " every node that may lead needs the same targets)");
            }
            if (target.isPresent() && !targets.contains(target.get())) {
                return refuse(ctx, "no backup target \"" + target.get() + "\" in node " + nodeId + "'s backup.json;"
                        + " its targets are " + targets);
            }
            byte[] mark = JSON.createObjectNode().put("kind", kind).put("mode", "idempotent")
                    .put("target", target.orElse(BackupSchedules.ALL)).toString().getBytes(StandardCharsets.UTF_8);
            return ctx.prepare(mark).thenCompose(committed -> run.apply(target)).handle((done, failure) -> {
                if (failure != null) {
                    Throwable cause = Failures.cause(failure);
                    if (cause instanceof ActionCancelledException a) {
                        throw a; // lost the claim before the mark: nothing ran
                    }
                    return ActionResult.failed(kind + " on node " + nodeId + " failed: " + cause);
                }
                ObjectNode result = JSON.createObjectNode();
                result.put("node", nodeId);
                result.put("ranAgain", again);
                result.set("targets", done.targets());
                return done.ok() ? ActionResult.succeeded(result.toString()) : ActionResult.failed(result.toString());
            });
        }

        private CompletionStage<ActionResult> refuse(ActionContext ctx, String why) {
            log.info("node {} refuses {} intent {}: {}", nodeId, kind, ctx.intentId(), why);
            return CompletableFuture.completedFuture(ActionResult.failed("not performed: " + why));
        }
    }
}
