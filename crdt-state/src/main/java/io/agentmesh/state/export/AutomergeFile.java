package io.agentmesh.state.export;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.StateException;
import io.agentmesh.state.StateException.Reason;
import io.agentmesh.state.automerge.AutomergeFormatException;
import io.agentmesh.state.automerge.DocumentCheck;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The raw Automerge document as a file: what {@code agentmesh export} writes next to the Markdown, what the
 * JavaScript Automerge library can load ({@code scripts/automerge-js/load.mjs}), and what an import reads back.
 *
 * <p>Import safety. Automerge 0.5.7 (inside automerge-java 0.0.7) aborts the whole JVM on some crafted documents: a
 * Rust panic (e.g. {@code unreachable!} in types.rs for an increment op with a non-numeric value, reached from
 * {@code reconstruct_document}) cannot unwind through JNI. Our Java checks ({@link DocumentCheck}: framing,
 * checksums, change chunks in full) stop truncation and corruption, but not a crafted document chunk. So
 * {@link #validate} first loads the file in a <em>child JVM</em> ({@link DocumentProbe}): if Automerge crashes there,
 * the node lives on and reports {@link Reason#CRASHED_AUTOMERGE}. Only a file the child loaded and checked is
 * loaded in this process. The child costs about half a second; imports are rare and made by people.
 */
public final class AutomergeFile {
    public static final long MAX_FILE_BYTES = AgentState.MAX_DOCUMENT_BYTES;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);

    private AutomergeFile() {
    }

    /**
     * A file that passed {@link #validate}: its bytes, its heads (sorted hex) and how many memory entries it holds.
     * Open it with {@link AgentState#load} (or {@link #load}).
     */
    public record ValidatedDocument(byte[] bytes, List<String> heads, long memoryCount) {
        public ValidatedDocument {
            bytes = bytes.clone();
            heads = List.copyOf(heads);
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }
    }

    /** The whole document, as {@code Automerge.save} writes it. */
    public static byte[] export(AgentState state) {
        return state.save();
    }

    public static void export(AgentState state, Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".automerge-", ".tmp");
        try {
            Files.write(tmp, state.save());
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    public static ValidatedDocument validate(byte[] bytes, byte[] agentId) {
        return validate(bytes, agentId, DEFAULT_TIMEOUT);
    }

    /**
     * Checks that {@code bytes} are a loadable Automerge document holding the state of agent {@code agentId}:
     * size cap, framing and checksums here, then, in a child JVM, the load, the genesis structure check and a
     * read of everything in it. Throws {@link StateException} with the reason otherwise; Automerge in this process
     * never sees a rejected file.
     */
    public static ValidatedDocument validate(byte[] bytes, byte[] agentId, Duration timeout) {
        if (bytes == null || bytes.length == 0) {
            throw new StateException(Reason.MALFORMED, "the file is empty");
        }
        if (bytes.length > MAX_FILE_BYTES) {
            throw new StateException(Reason.TOO_LARGE, "an Automerge file may be at most " + MAX_FILE_BYTES
                    + " bytes, this one is " + bytes.length);
        }
        try {
            DocumentCheck.check(bytes);
        } catch (AutomergeFormatException e) {
            throw StateException.of(e);
        }
        String summary = probeInChild(bytes, agentId, timeout);
        String[] parts = summary.split(" ", 2);
        return new ValidatedDocument(bytes, parts.length < 2 || parts[1].isEmpty() ? List.of()
                : List.of(parts[1].split(",")), Long.parseLong(parts[0]));
    }

    /** {@link #validate} then {@link AgentState#load}: the import of a file, writing as {@code actor}. */
    public static AgentState load(byte[] bytes, byte[] agentId, ActorId actor) {
        ValidatedDocument doc = validate(bytes, agentId);
        return AgentState.load(agentId, doc.bytes(), actor);
    }

    /** Returns the child's summary: "memoryCount head,head,...". */
    private static String probeInChild(byte[] bytes, byte[] agentId, Duration timeout) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java,
                "-cp", System.getProperty("java.class.path"),
                "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC", "-Xshare:auto",
                // the child reads the whole state (as validate does here): about 1 GB per 1.5 MB of document
                "-Xmx" + Math.max(1024, 256 + (long) bytes.length / (1024 * 1024) * 512) + "m",
                DocumentProbe.class.getName(), HexFormat.of().formatHex(agentId)));
        Path stderr = null;
        Process process = null;
        try {
            stderr = Files.createTempFile("agentmesh-probe-", ".err");
            process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
            Process p = process;
            Thread writer = Thread.ofVirtual().start(() -> {
                try (OutputStream in = p.getOutputStream()) {
                    in.write(bytes);
                } catch (IOException ignored) {
                    // The child died early; its exit code tells why.
                }
            });
            // The child writes one short line (far below a pipe buffer), so waiting before reading cannot block.
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new StateException(Reason.LOADER_FAILED, "loading the file in a child process took longer than "
                        + timeout.toSeconds() + " s; refused");
            }
            writer.join();
            byte[] out;
            try (InputStream fromChild = process.getInputStream()) {
                out = fromChild.readNBytes(64 * 1024);
            }
            int exit = process.exitValue();
            String reply = new String(out, StandardCharsets.UTF_8).strip();
            if (exit == 0 && reply.startsWith(DocumentProbe.OK + " ")) {
                return reply.substring(DocumentProbe.OK.length() + 1);
            }
            if (exit == 0 && reply.startsWith(DocumentProbe.REJECT)) {
                String[] parts = reply.split("\t", 3);
                Reason reason = parts.length == 3 ? reasonOf(parts[1]) : Reason.MALFORMED;
                throw new StateException(reason, parts.length == 3 ? parts[2] : reply);
            }
            String panic = panicLine(stderr);
            if (exit == 134 || exit == 139 || exit > 128 || !panic.isEmpty()) {
                throw new StateException(Reason.CRASHED_AUTOMERGE, "Automerge crashed while loading the file (exit "
                        + exit + signalName(exit) + ")" + (panic.isEmpty() ? "" : ": " + panic)
                        + "; the file is malformed");
            }
            throw new StateException(Reason.LOADER_FAILED, "the child process that loads the file failed (exit "
                    + exit + "): " + tail(stderr));
        } catch (IOException e) {
            throw new StateException(Reason.LOADER_FAILED, "cannot run the child process that loads the file: "
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StateException(Reason.LOADER_FAILED, "interrupted while loading the file", e);
        } finally {
            if (process != null && process.isAlive()) {
                process.destroyForcibly();
            }
            if (stderr != null) {
                try {
                    Files.deleteIfExists(stderr);
                } catch (IOException ignored) {
                    // a temp file left behind is harmless
                }
            }
        }
    }

    private static Reason reasonOf(String name) {
        return Arrays.stream(Reason.values()).filter(r -> r.name().equals(name)).findFirst().orElse(Reason.MALFORMED);
    }

    private static String signalName(int exit) {
        return switch (exit) {
            case 134 -> ", SIGABRT";
            case 139 -> ", SIGSEGV";
            case 137 -> ", SIGKILL";
            default -> "";
        };
    }

    private static String panicLine(Path stderr) throws IOException {
        for (String line : readLines(stderr)) {
            if (line.contains("panicked at")) {
                return line.strip();
            }
        }
        return "";
    }

    private static String tail(Path stderr) throws IOException {
        List<String> lines = readLines(stderr);
        return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
    }

    private static List<String> readLines(Path file) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(64 * 1024);
        }
        return new String(head, StandardCharsets.UTF_8).lines().toList();
    }
}
