package io.agentmesh.node.actions.exec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentmesh.node.actions.ActionContext;
import io.agentmesh.node.actions.ActionExecutor;
import io.agentmesh.node.actions.ActionResult;
import io.agentmesh.node.actions.IntentPayload;
import io.agentmesh.node.actions.JournalOp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Executes intents of kind {@code exec}: payload {@code {"command": "name", "args": {...}}} runs the command of that
 * name from this node's {@link ExecCommands}, with the args as JSON on stdin and, in the environment,
 * {@code AGENTMESH_FENCE} (the claim's fencing token, {@code <term>:<index>}; also {@code AGENTMESH_FENCE_TERM} and
 * {@code AGENTMESH_FENCE_INDEX}), {@code AGENTMESH_IDEMPOTENCY_KEY} (the intent id) and {@code AGENTMESH_NODE_ID}.
 * The outcome is {@code succeeded} for exit code 0, else {@code failed}; its result is JSON with the exit code,
 * duration and the bounded stdout and stderr (saying when they were cut).
 *
 * <p>At most once, as {@code JobExecutor}: before the process starts, a start mark (the command's name and mode) is
 * committed through the journal; that is the safe point where a leader that lost its claim stops with nothing run.
 * Everything that can be refused without running anything (a payload that is not an object, an unknown command, bad
 * args, a program that is not there) fails at once as "not performed", with no mark. A new leader that takes over a
 * claim with a mark (the holder died or stayed out of reach) reports {@code uncertain} and does not run it again,
 * unless the command is declared {@code idempotent} both in the mark and in its own table: then it runs it again
 * under its own claim, with the same idempotency key.
 *
 * <p>Threading: {@link #perform} and {@link #reconcile} return at once; the process runs on the
 * {@link CommandRunner}'s threads, never on the node thread.
 */
public final class ExecExecutor implements ActionExecutor {
    private static final Logger log = LoggerFactory.getLogger(ExecExecutor.class);
    public static final String KIND = "exec";
    /** Room kept under the outcome's limit for the JSON around the output. */
    private static final int RESULT_BUDGET_BYTES = JournalOp.MAX_RESULT_BYTES - 2048;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ExecCommands commands;
    private final String nodeId;
    private final CommandRunner runner;
    private final String pathEnv;

    /**
     * @param pathEnv the PATH on which programs named without a slash are looked up (the node's own PATH, which the
     *                child inherits)
     */
    public ExecExecutor(ExecCommands commands, String nodeId, CommandRunner runner, String pathEnv) {
        this.commands = commands;
        this.nodeId = nodeId;
        this.runner = runner;
        this.pathEnv = pathEnv;
        if (!commands.commands().isEmpty()) {
            log.info("node {} exec: {} command(s) from {}: {}{}", nodeId, commands.commands().size(),
                    commands.source().map(Path::toString).orElse("settings"),
                    String.join(", ", commands.commands().keySet()),
                    runner.groupsProcesses() ? "" : " (no setsid here: a timeout signals the process and its"
                            + " descendants by pid)");
        }
        commands.commands().values().forEach(c -> {
            if (CommandRunner.resolveProgram(c.argv().get(0), pathEnv, c.workdir()).isEmpty()) {
                log.warn("node {} exec command \"{}\": program \"{}\" not found now; its intents fail as not"
                        + " performed until it is installed", nodeId, c.name(), c.argv().get(0));
            }
        });
    }

    @Override
    public String kind() {
        return KIND;
    }

    /** A parsed payload: the command and the JSON its stdin gets. */
    record Request(String command, String argsJson) {
    }

    /** A payload checked against the table: what to run, or why nothing runs. */
    private record Checked(Optional<ActionResult> refusal, ExecCommand command, Path program, Request request) {
        static Checked refused(String why) {
            return new Checked(Optional.of(ActionResult.failed("not performed: " + why)), null, null, null);
        }
    }

    @Override
    public CompletionStage<ActionResult> perform(ActionContext ctx) {
        // The check looks for the program on disk: off the node thread, like the run. The prepare may be asked from
        // any thread.
        return runner.offNodeThread(() -> check(ctx)).thenCompose(checked -> checked.refusal().isPresent()
                ? CompletableFuture.completedFuture(checked.refusal().get())
                : ctx.prepare(startMark(checked.command())).thenCompose(committed ->
                        run(ctx, checked.command(), checked.program(), checked.request())));
    }

    /**
     * Everything that can be refused without running anything: the payload, the command's name, the program. A
     * refusal leaves no start mark.
     */
    private Checked check(ActionContext ctx) {
        Request request;
        try {
            request = parse(ctx.payloadJson());
        } catch (IllegalArgumentException e) {
            return refuse(ctx, e.getMessage());
        }
        Optional<ExecCommand> found = commands.command(request.command());
        if (found.isEmpty()) {
            return refuse(ctx, "no command \"" + request.command() + "\" in " + commands.describeSource()
                    + "; defined: " + (commands.commands().isEmpty() ? "none"
                    : String.join(", ", commands.commands().keySet()))
                    + " (every node that may lead needs the same exec config)");
        }
        ExecCommand command = found.get();
        String name = command.argv().get(0);
        Optional<Path> program = CommandRunner.resolveProgram(name, pathEnv, command.workdir());
        if (program.isEmpty()) {
            return refuse(ctx, "the program \"" + name + "\" of command \"" + command.name() + "\" was not found"
                    + " on node " + nodeId + (name.contains("/") ? " (no such executable file)" : " (not on its PATH)"));
        }
        return new Checked(Optional.empty(), command, program.get(), request);
    }

    private Checked refuse(ActionContext ctx, String why) {
        log.info("node {} refuses exec intent {}: {}", nodeId, ctx.intentId(), why);
        return Checked.refused(why);
    }

    @Override
    public CompletionStage<ActionResult> reconcile(ActionContext ctx, Optional<byte[]> prepared) {
        if (prepared.isEmpty()) {
            return perform(ctx); // the previous holder never started it
        }
        String markedName = "?";
        boolean markedIdempotent = false;
        try {
            JsonNode mark = JSON.readTree(prepared.get());
            markedName = mark.path("command").asText("?");
            markedIdempotent = ExecCommand.Mode.IDEMPOTENT.text().equals(mark.path("mode").asText());
        } catch (java.io.IOException e) {
            // an unreadable mark says nothing about idempotency: stay at most once
        }
        Optional<ExecCommand> local = commands.command(markedName);
        if (markedIdempotent && local.isPresent() && local.get().mode() == ExecCommand.Mode.IDEMPOTENT) {
            log.info("node {} runs idempotent exec command \"{}\" of intent {} again under {}: an earlier leader"
                    + " started it and could not report", nodeId, markedName, ctx.intentId(), ctx.token());
            return perform(ctx);
        }
        return CompletableFuture.completedFuture(ActionResult.uncertain("exec command \"" + markedName + "\" was"
                + " started by an earlier leader, which could not report how it ended (it died or stayed out of"
                + " reach); not run again (at most once)"));
    }

    private static byte[] startMark(ExecCommand command) {
        ObjectNode mark = JSON.createObjectNode().put("command", command.name()).put("mode", command.mode().text());
        return mark.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Checks the payload: an object with a "command" string and optional "args" object, nothing else. */
    static Request parse(String payloadJson) {
        JsonNode payload = IntentPayload.object(payloadJson, "an exec payload is a JSON object {\"command\":"
                + " \"name\", \"args\": {...}}", "the exec payload", Set.of("command", "args"));
        JsonNode command = payload.get("command");
        if (command == null || !command.isTextual() || command.asText().isEmpty()) {
            throw new IllegalArgumentException("the exec payload needs \"command\": the name of a command in the"
                    + " node's exec config");
        }
        JsonNode args = payload.get("args");
        if (args != null && !args.isObject()) {
            throw new IllegalArgumentException("bad args: \"args\" must be a JSON object, got " + args.getNodeType()
                    .toString().toLowerCase(java.util.Locale.ROOT));
        }
        return new Request(command.asText(), args == null ? "{}" : args.toString());
    }

    private CompletionStage<ActionResult> run(ActionContext ctx, ExecCommand command, Path program, Request request) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("AGENTMESH_FENCE", ctx.token().term() + ":" + ctx.token().index());
        env.put("AGENTMESH_FENCE_TERM", Long.toString(ctx.token().term()));
        env.put("AGENTMESH_FENCE_INDEX", Long.toString(ctx.token().index()));
        env.put("AGENTMESH_IDEMPOTENCY_KEY", ctx.intentId());
        env.put("AGENTMESH_NODE_ID", nodeId);
        env.put("AGENTMESH_EXEC_COMMAND", command.name());
        CommandRunner.Spec spec = new CommandRunner.Spec(program, command.argv().subList(1, command.argv().size()),
                command.workdir(), env, (request.argsJson() + "\n").getBytes(StandardCharsets.UTF_8),
                command.timeoutMs(), command.killGraceMs(), command.maxOutputBytes());
        log.info("node {} runs exec command \"{}\" for intent {} under {}", nodeId, command.name(), ctx.intentId(),
                ctx.token());
        return runner.run(spec).thenApply(f -> {
            ActionResult r = result(command, f);
            log.info("node {} exec command \"{}\" for intent {}: {} ({} ms{})", nodeId, command.name(),
                    ctx.intentId(), r.status(), f.durationMs(), f.exitCode().map(c -> ", exit " + c).orElse(""));
            return r;
        });
    }

    /** The outcome of one run: status from the exit code, result JSON within the outcome's size limit. */
    ActionResult result(ExecCommand command, CommandRunner.Finished f) {
        if (f.startError().isPresent()) {
            return ActionResult.failed("not performed: command \"" + command.name() + "\" could not start: "
                    + f.startError().get());
        }
        int exit = f.exitCode().orElseThrow();
        String error = null;
        if (f.timedOut()) {
            error = "timed out after " + command.timeoutMs() + " ms: its process group got SIGTERM"
                    + (f.killed() ? ", then SIGKILL " + command.killGraceMs() + " ms later (it ignored SIGTERM)"
                    : " and it stopped");
        } else if (exit != 0) {
            error = "exit code " + exit;
        }
        String out = f.stdout().text();
        String err = f.stderr().text();
        boolean outCut = f.stdout().truncated();
        boolean errCut = f.stderr().truncated();
        while (true) {
            ObjectNode r = JSON.createObjectNode();
            r.put("command", command.name());
            r.put("node", nodeId);
            r.put("exitCode", exit);
            r.put("durationMs", f.durationMs());
            if (error != null) {
                r.put("error", error);
            }
            r.put("stdout", out);
            r.put("stdoutBytes", f.stdout().totalBytes());
            r.put("stdoutTruncated", outCut);
            r.put("stderr", err);
            r.put("stderrBytes", f.stderr().totalBytes());
            r.put("stderrTruncated", errCut);
            if (f.leftovers()) {
                r.put("note", "processes it left behind held its output open after it exited; its process group"
                        + " was killed");
            }
            String text = r.toString();
            if (text.getBytes(StandardCharsets.UTF_8).length <= RESULT_BUDGET_BYTES) {
                return error == null ? ActionResult.succeeded(text) : ActionResult.failed(text);
            }
            // Escaping (control characters, non-ASCII) made it too big for an outcome: keep less of the larger one.
            if (out.length() >= err.length()) {
                out = half(out);
                outCut = true;
            } else {
                err = half(err);
                errCut = true;
            }
        }
    }

    /** The first half of {@code s}, never ending inside a surrogate pair. */
    private static String half(String s) {
        int end = s.length() / 2;
        if (end > 0 && Character.isHighSurrogate(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end);
    }
}
