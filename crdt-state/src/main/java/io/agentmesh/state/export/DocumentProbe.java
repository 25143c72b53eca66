package io.agentmesh.state.export;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.StateException;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * The child-process side of {@link AutomergeFile#validate}: reads a document from stdin, loads it as the state of
 * the agent given in hex as the only argument, reads every part of it, and prints one line:
 * {@code OK <memory count> <head>,<head>...}, or {@code REJECT<TAB>reason<TAB>message}. If Automerge crashes the process instead, the parent sees the exit code.
 */
public final class DocumentProbe {
    static final String OK = "OK";
    static final String REJECT = "REJECT";
    /** The actor the probe (and the parent's check load) write as; they never write. */
    static final ActorId PROBE_ACTOR = ActorId.fromHex("ff".repeat(ActorId.LENGTH));

    private DocumentProbe() {
    }

    public static void main(String[] args) throws IOException {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        if (args.length != 1) {
            out.println(REJECT + "\tLOADER_FAILED\tusage: DocumentProbe <agent id hex> < document");
            return;
        }
        byte[] agentId = HexFormat.of().parseHex(args[0]);
        byte[] bytes = System.in.readAllBytes();
        try (AgentState state = AgentState.load(agentId, bytes, PROBE_ACTOR)) {
            state.view();
            out.println(OK + " " + state.memoryCount() + " " + String.join(",", state.heads()));
        } catch (StateException e) {
            out.println(REJECT + "\t" + e.reason().name() + "\t" + e.getMessage().replace('\n', ' '));
        }
    }
}
