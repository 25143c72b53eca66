package io.agentmesh.node.backup.format;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.agentmesh.protocol.identity.AgentId;
import io.agentmesh.protocol.identity.IdentityException;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Coverage-guided fuzzing of the backup format's readers (docs/fuzzing.md). A backup target is untrusted storage and
 * the age recipients are public, so anyone who can write to it can make an object that decrypts: the frame readers
 * ({@link Frames}: segment, snapshot, identity material, manifest) see attacker-chosen plaintext, and object names,
 * recipient grants and age identities are read from the target and from files. The first byte picks the reader.
 * Bad input must give a {@link BackupFormatException} (or, for grants, an {@link IdentityException}; for an age
 * identity, an IllegalArgumentException) and nothing else.
 */
class BackupFormatFuzzTest {
    /** The agent every fuzzed frame claims to belong to; the seeds carry it after the AMB header. */
    static final AgentId AGENT = new AgentId(filled(AgentId.LENGTH, 0x11));

    @FuzzTest(maxDuration = "10s")
    void readersGiveAnObjectOrTheirDocumentedException(byte[] input) {
        if (input.length == 0) {
            return;
        }
        byte[] rest = Arrays.copyOfRange(input, 1, input.length);
        String name = "fuzzed-object";
        try {
            switch (Byte.toUnsignedInt(input[0]) % 7) {
                case 0 -> Frames.segment(name, rest, AGENT);
                case 1 -> Frames.snapshot(name, rest, AGENT);
                case 2 -> Frames.identity(name, rest, AGENT);
                case 3 -> {
                    Manifest m = Frames.manifest(name, rest, AGENT);
                    Frames.manifestSignatureValid(AGENT, m);
                }
                case 4 -> RecipientGrant.fromBytes(rest);
                case 5 -> ObjectName.parse(new String(rest, StandardCharsets.UTF_8));
                default -> AgeIdentity.parse(new String(rest, StandardCharsets.UTF_8));
            }
        } catch (BackupFormatException | IdentityException refused) {
            // the documented refusals
        } catch (IllegalArgumentException refused) {
            if (Byte.toUnsignedInt(input[0]) % 7 != 6) {
                throw refused;
            }
        }
    }

    static byte[] filled(int length, int value) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return b;
    }
}
