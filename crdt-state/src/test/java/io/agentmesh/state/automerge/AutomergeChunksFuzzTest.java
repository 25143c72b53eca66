package io.agentmesh.state.automerge;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.util.Arrays;

/**
 * Coverage-guided fuzzing of our own Automerge parser (docs/fuzzing.md), which stands between outside bytes and the
 * native library: {@link ChangeHeader#parse} checks every change a peer sends before Automerge sees it, and
 * {@link DocumentCheck#check} is the in-process gate of a state import ({@code AutomergeFile.validate} runs it before
 * its child JVM loads the file). The first byte picks the reader. Bad bytes must give an
 * {@link AutomergeFormatException} and nothing else.
 */
class AutomergeChunksFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void parsersGiveASummaryOrAnAutomergeFormatException(byte[] input) {
        if (input.length == 0) {
            return;
        }
        byte[] rest = Arrays.copyOfRange(input, 1, input.length);
        try {
            if ((input[0] & 1) == 0) {
                ChangeHeader header = ChangeHeader.parse(rest);
                header.ops();
            } else {
                DocumentCheck.check(rest);
            }
        } catch (AutomergeFormatException refused) {
            // the documented refusal
        }
    }
}
