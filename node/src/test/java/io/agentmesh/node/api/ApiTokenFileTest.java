package io.agentmesh.node.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The token file: written 0600, read back, refused when others may read it. */
class ApiTokenFileTest {
    @Test
    void aWrittenTokenIsOwnerOnlyAndReadsBack(@TempDir Path dir) throws Exception {
        ApiToken t = ApiToken.generate(new SecureRandom());
        Path file = dir.resolve(ApiToken.FILE_NAME);
        t.write(file);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertTrue(ApiToken.read(file).orElseThrow().matches(t.reveal()));
        assertTrue(ApiToken.read(dir.resolve("none")).isEmpty());
    }

    @Test
    void aTokenFileOthersMayReadIsRefused(@TempDir Path dir) throws Exception {
        Path file = dir.resolve(ApiToken.FILE_NAME);
        ApiToken.generate(new SecureRandom()).write(file);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ApiToken.read(file));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    }
}
