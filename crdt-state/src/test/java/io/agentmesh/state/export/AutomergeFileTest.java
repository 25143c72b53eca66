package io.agentmesh.state.export;

import io.agentmesh.state.AgentState;
import io.agentmesh.state.StateException;
import io.agentmesh.state.StateException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import static io.agentmesh.state.Fixtures.A;
import static io.agentmesh.state.Fixtures.AGENT;
import static io.agentmesh.state.Fixtures.B;
import static io.agentmesh.state.Fixtures.OTHER_AGENT;
import static io.agentmesh.state.Fixtures.memory;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AutomergeFileTest {
    /**
     * A saved AgentState document (agent "agent-under-test", two cost increments) with one byte of its op columns
     * changed (offset 307, 0x00 to 0xff: an unknown action) and its checksum recomputed. Automerge 0.5.7 reaches
     * {@code unreachable!} in types.rs:272 on it and aborts the process. Found by fuzzing Document.load.
     */
    static final byte[] CRASHES_AUTOMERGE = HexFormat.of().parseHex(""
            + "856f4a83df1a90cc00e50202100a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a10b98c3ac9903d186acaed18ca828f6eda01a5"
            + "e49a845cb0e2d61ec171538b19a32e80edafb496b43b20f55565860f692ba40701040304130423024004430356020c01"
            + "06020815792104230f3401420e560957238001058101028301027f0102007d0100017d0a020103007f0002017e000103"
            + "07000803010200000802017f0a020b7505636f73747307696e74656e7473066d656d6f7279046d657461056e6f746573"
            + "086f7574636f6d6573097363686564756c6573057461736b73076167656e7449640d736368656d6156657273696f6e20"
            + "30613061306130613061306130613061306130613061306130613061306130610206746f6b656e730a0103007c0a7e7c"
            + "7d02047b7e7f7d7f0902010d02007d02000403ff02017d00010508007b86041400181436313637363536653734326437"
            + "353665363436353732326437343635373337340105020b007e01007f007f0d02");

    static Path malformedDir() {
        String shared = System.getProperty("agentmesh.shared.dir", "../../shared");
        return Path.of(shared, "testvectors", "automerge-malformed");
    }

    @Test
    void anExportValidatesAndLoadsBackWithTheSameContent(@TempDir Path dir) throws IOException {
        try (AgentState state = AgentState.create(AGENT, A)) {
            state.appendMemory(memory(1));
            state.replaceNotes("notes");
            Path file = dir.resolve("state.automerge");
            AutomergeFile.export(state, file);
            byte[] bytes = Files.readAllBytes(file);
            assertArrayEquals(AutomergeFile.export(state), bytes);
            AutomergeFile.ValidatedDocument doc = AutomergeFile.validate(bytes, AGENT);
            assertEquals(state.heads(), doc.heads());
            assertEquals(1, doc.memoryCount());
            try (AgentState imported = AutomergeFile.load(bytes, AGENT, B)) {
                assertEquals(state.view(), imported.view());
                imported.appendMemory(memory(2));
            }
        }
    }

    @Test
    void everyFileOfTheSharedMalformedCorpusIsRejectedAndTheTargetIsUnchanged() throws IOException {
        Path dir = malformedDir();
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        assertTrue(files.size() >= 10, "expected at least 10 files in " + dir.toAbsolutePath() + ", found "
                + files.size());
        try (AgentState target = AgentState.create(AGENT, A)) {
            target.appendMemory(memory(1));
            byte[] before = target.save();
            List<String> heads = target.heads();
            for (Path f : files) {
                byte[] bytes = Files.readAllBytes(f);
                StateException e = assertThrows(StateException.class, () -> AutomergeFile.validate(bytes, AGENT),
                        f.getFileName().toString());
                assertFalse(e.getMessage().isBlank());
                System.out.println("[malformed corpus] " + f.getFileName() + ": " + e.reason() + ": "
                        + e.getMessage());
                assertThrows(StateException.class, () -> target.applyChange(bytes), f.getFileName().toString());
            }
            assertArrayEquals(before, target.save(), "the state the import was aimed at is unchanged");
            assertEquals(heads, target.heads());
        }
    }

    @Test
    void aDocumentThatAbortsAutomergeIsRejectedByTheChildProcessAndThisJvmLivesOn() {
        StateException e = assertThrows(StateException.class, () -> AutomergeFile.validate(CRASHES_AUTOMERGE, AGENT));
        assertEquals(Reason.CRASHED_AUTOMERGE, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("panicked at"), e.getMessage());
    }

    @Test
    void anotherAgentsExportIsRefused() {
        try (AgentState other = AgentState.create(OTHER_AGENT, A)) {
            StateException e = assertThrows(StateException.class,
                    () -> AutomergeFile.validate(AutomergeFile.export(other), AGENT));
            assertEquals(Reason.WRONG_DOCUMENT, e.reason());
        }
    }

    @Test
    void emptyCorruptAndTruncatedFilesAreRefusedBeforeAnyChildProcess() {
        try (AgentState state = AgentState.create(AGENT, A)) {
            byte[] good = AutomergeFile.export(state);
            assertEquals(Reason.MALFORMED, assertThrows(StateException.class,
                    () -> AutomergeFile.validate(new byte[0], AGENT)).reason());
            byte[] corrupt = good.clone();
            corrupt[good.length - 5] ^= 0x40;
            assertEquals(Reason.BAD_CHECKSUM, assertThrows(StateException.class,
                    () -> AutomergeFile.validate(corrupt, AGENT)).reason());
            assertEquals(Reason.MALFORMED, assertThrows(StateException.class,
                    () -> AutomergeFile.validate(java.util.Arrays.copyOf(good, good.length / 2), AGENT)).reason());
        }
    }
}
