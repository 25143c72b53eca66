package io.agentmesh.state;

import org.automerge.Document;

/**
 * Child-process side of {@code NativeCrashTest}: applies a crafted change either raw (straight into Automerge) or
 * guarded (through AgentState.applyChange) and prints what happened, if the process survives.
 */
public final class NativeProbeMain {
    public static void main(String[] args) {
        CraftedChanges.Case c = switch (args[0]) {
            case "actor-index" -> CraftedChanges.actorIndexOutOfRange();
            case "key-kind" -> CraftedChanges.propertyInAList();
            default -> throw new IllegalArgumentException(args[0]);
        };
        if (args[1].equals("raw")) {
            Document doc = Document.load(c.document());
            try {
                doc.applyEncodedChanges(c.change());
                System.out.println("raw: applied");
            } catch (RuntimeException e) {
                System.out.println("raw: threw " + e.getMessage());
            }
        } else {
            try (AgentState state = AgentState.load(Fixtures.AGENT, c.document(), Fixtures.C)) {
                state.applyChange(c.change());
                System.out.println("guarded: applied");
            } catch (StateException e) {
                System.out.println("guarded: refused " + e.reason() + " " + e.getMessage());
            }
        }
    }
}
