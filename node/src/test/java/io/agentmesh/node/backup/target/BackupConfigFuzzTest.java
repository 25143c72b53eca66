package io.agentmesh.node.backup.target;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.agentmesh.node.configfile.StrictJson;

/**
 * Coverage-guided fuzzing of {@code backup.json} (docs/fuzzing.md), read as {@link BackupConfig#read} reads it
 * (strict JSON, then the targets' checks): anything must give a config or an IllegalArgumentException.
 */
class BackupConfigFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void anyBytesGiveAConfigOrAnIllegalArgument(byte[] json) {
        try {
            BackupConfig.parse(StrictJson.parse(json, "backup config", StrictJson.ParseErrors.QUOTE), "backup.json");
        } catch (IllegalArgumentException refused) {
            // the documented refusal
        }
    }
}
