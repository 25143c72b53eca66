package io.agentmesh.node.cli;

import io.agentmesh.node.runtime.OfflineState;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.state.MemoryEntry;
import io.agentmesh.state.StateView;
import io.agentmesh.state.Task;
import io.agentmesh.state.export.AutomergeFile;
import io.agentmesh.state.export.MarkdownExporter;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "state", mixinStandardHelpOptions = true,
        description = "Export the agent's state as files people read or as an Automerge file; import one.",
        subcommands = {StateCommand.Export.class, StateCommand.Import.class})
public final class StateCommand {

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Write MEMORY.md, memory/YYYY-MM-DD.md and HEARTBEAT.md, and/or the raw Automerge document."
                    + " While this home's node runs, the export goes through its HTTP API (--http); else it reads"
                    + " the state directory.")
    static final class Export implements Callable<Integer> {
        @Mixin
        HomeOptions home;

        @ArgGroup(exclusive = false, multiplicity = "1")
        Targets targets;

        @Option(names = "--http", defaultValue = "127.0.0.1:7070", paramLabel = "HOST:PORT",
                description = "The running node's HTTP API, used when the node holds its state (default"
                        + " ${DEFAULT-VALUE}).")
        String http;

        static final class Targets {
            @Option(names = "--markdown", description = "Directory for the Markdown files.")
            Path markdown;

            @Option(names = "--automerge", description = "File for the Automerge document (loads in any Automerge library).")
            Path automerge;
        }

        @Override
        public Integer call() throws Exception {
            if (io.agentmesh.state.store.SqliteChangeStore.inUse(home.stateDir().resolve("changes.db"))) {
                return exportThroughNode();
            }
            try (OfflineState state = OfflineState.open(home.identityDir(), home.stateDir(), home.passphrase())) {
                if (targets.markdown != null) {
                    StateView view = state.read(s -> s.view());
                    MarkdownExporter.export(view, targets.markdown);
                    System.out.println("wrote MEMORY.md, HEARTBEAT.md and memory/ (" + view.memory().size()
                            + " entries) to " + targets.markdown);
                }
                if (targets.automerge != null) {
                    byte[] bytes = state.read(AutomergeFile::export);
                    Files.write(targets.automerge, bytes);
                    System.out.println("wrote the Automerge document (" + bytes.length + " bytes) to " + targets.automerge);
                }
            }
            return 0;
        }

        /**
         * The node holds the store's lock: ask it for the document (after checking that the node answering on
         * --http is this home's), and write the Markdown from that document here.
         */
        private int exportThroughNode() throws Exception {
            IdentityDirectory ids = IdentityDirectory.of(home.identityDir());
            String expected = ids.nodeId().toString();
            String running = NodeHttp.parse(http, NodeHttp.get(http, "/v1/status")).path("node").asText();
            if (!expected.equals(running)) {
                throw new IllegalArgumentException("this home's node (" + expected + ") is running, but the node on "
                        + http + " is " + (running.isEmpty() ? "another program" : running)
                        + "; pass --http with the address of this home's node");
            }
            byte[] bytes = NodeHttp.getBytes(http, "/v1/state/export");
            System.out.println("the node is running: exported through its HTTP API at " + http);
            if (targets.markdown != null) {
                // Only read: a zero actor never writes.
                try (var doc = AutomergeFile.load(bytes, ids.agentId().bytes(), new ActorId(new byte[ActorId.LENGTH]))) {
                    StateView view = doc.view();
                    MarkdownExporter.export(view, targets.markdown);
                    System.out.println("wrote MEMORY.md, HEARTBEAT.md and memory/ (" + view.memory().size()
                            + " entries) to " + targets.markdown);
                }
            }
            if (targets.automerge != null) {
                Files.write(targets.automerge, bytes);
                System.out.println("wrote the Automerge document (" + bytes.length + " bytes) to " + targets.automerge);
            }
            return 0;
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = "Validate an Automerge file of this agent and add what it holds (memory entries, notes, tasks)"
                    + " to this node's state as new signed changes. Run it while the node is stopped.")
    static final class Import implements Callable<Integer> {
        @Mixin
        HomeOptions home;

        @Option(names = "--automerge", required = true, description = "Automerge file to import.")
        Path file;

        @Override
        public Integer call() throws Exception {
            byte[] agentId = IdentityDirectory.of(home.identityDir()).agentId().bytes();
            // Validate before opening the node's state: a bad file must change nothing.
            StateView incoming;
            // A read-only actor: the imported document is only read, its content re-written by this node below.
            try (var imported = AutomergeFile.load(Files.readAllBytes(file), agentId, new ActorId(new byte[ActorId.LENGTH]))) {
                incoming = imported.view();
            }
            int memory = 0;
            int tasks = 0;
            boolean notes = false;
            try (OfflineState state = OfflineState.open(home.identityDir(), home.stateDir(), home.passphrase())) {
                StateView current = state.read(s -> s.view());
                Set<String> known = new HashSet<>();
                current.memory().forEach(e -> known.add(e.id()));
                for (MemoryEntry e : incoming.memory()) {
                    if (known.add(e.id())) {
                        state.write(s -> s.appendMemory(e));
                        memory++;
                    }
                }
                for (Task t : incoming.tasks()) {
                    if (!current.tasks().contains(t)) {
                        state.write(s -> s.upsertTask(t));
                        tasks++;
                    }
                }
                if (!incoming.notes().isEmpty() && !incoming.notes().equals(current.notes())) {
                    state.write(s -> s.replaceNotes(incoming.notes()).orElseThrow());
                    notes = true;
                }
            }
            System.out.println("imported " + memory + " memory entries, " + tasks + " tasks" + (notes ? ", notes" : "")
                    + " from " + file);
            return 0;
        }
    }
}
