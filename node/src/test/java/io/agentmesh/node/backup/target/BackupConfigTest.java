package io.agentmesh.node.backup.target;

import io.agentmesh.protocol.time.SystemClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackupConfigTest {
    @TempDir
    Path dir;

    private BackupConfig read(String json) throws Exception {
        return BackupConfig.read(Files.writeString(dir.resolve("backup.json"), json));
    }

    private String refused(String json) {
        return assertThrows(IllegalArgumentException.class, () -> read(json), json).getMessage();
    }

    @Test
    void twoTargetsAreReadWithTheirIdsUrisAndCredentialSources() throws Exception {
        BackupConfig c = read("""
                {"targets": [
                  {"id": "nas", "uri": "file:///mnt/nas/am"},
                  {"id": "offsite", "uri": "s3://bk-bucket/agent?region=eu-west-1",
                   "accessKeyIdEnv": "OFF_ID", "secretAccessKeyEnv": "OFF_SECRET"},
                  {"id": "minio", "uri": "s3://bk-bucket/agent?endpoint=http://10.0.0.5:9000",
                   "credentialsFile": "/etc/agentmesh/minio.credentials"},
                  {"id": "aws-default", "uri": "s3://other-bucket"}
                ]}""");
        assertEquals(List.of("nas", "offsite", "minio", "aws-default"),
                c.targets().stream().map(BackupConfig.TargetConfig::id).toList());
        assertEquals(Optional.empty(), c.targets().get(0).credentials());
        assertEquals(Optional.of(new BackupConfig.CredentialSource.Env("OFF_ID", "OFF_SECRET")),
                c.targets().get(1).credentials());
        assertEquals(Optional.of(new BackupConfig.CredentialSource.File(Path.of("/etc/agentmesh/minio.credentials"))),
                c.targets().get(2).credentials());
        assertEquals(Optional.of(new BackupConfig.CredentialSource.Env("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")),
                c.targets().get(3).credentials());
    }

    @Test
    void everyMinutesSchedulesTheLeadersBackupsAndIsBounded() throws Exception {
        assertEquals(0, read("{\"targets\": [{\"id\": \"a\", \"uri\": \"file:///x\"}]}").everyMinutes());
        assertEquals(60, read("{\"targets\": [{\"id\": \"a\", \"uri\": \"file:///x\"}], \"everyMinutes\": 60}")
                .everyMinutes());
        for (String bad : List.of("0", "-5", "1.5", "\"60\"", "10081", "7", "90", "9999999999")) {
            assertTrue(refused("{\"targets\": [{\"id\": \"a\", \"uri\": \"file:///x\"}], \"everyMinutes\": " + bad
                    + "}").contains("\"everyMinutes\" must be a whole number of minutes"), bad);
        }
    }

    @Test
    void thePeriodsBecomeExactCronExpressions() throws Exception {
        String t = "{\"targets\": [{\"id\": \"a\", \"uri\": \"file:///x\"}]";
        assertEquals(Optional.empty(), read(t + ", \"drillEveryHours\": 0}").backupCron());
        assertEquals(Optional.empty(), read(t + ", \"drillEveryHours\": 0}").drillCron());
        assertEquals(Optional.of("* * * * *"), read(t + ", \"everyMinutes\": 1}").backupCron());
        assertEquals(Optional.of("*/15 * * * *"), read(t + ", \"everyMinutes\": 15}").backupCron());
        assertEquals(Optional.of("0 * * * *"), read(t + ", \"everyMinutes\": 60}").backupCron());
        assertEquals(Optional.of("0 */6 * * *"), read(t + ", \"everyMinutes\": 360}").backupCron());
        assertEquals(Optional.of("0 0 * * *"), read(t + ", \"everyMinutes\": 1440}").backupCron());
        assertEquals(Optional.of("0 0 * * 0"), read(t + ", \"everyMinutes\": 10080}").backupCron());
        assertEquals(Optional.of("30 3 * * *"), read(t + "}").drillCron());
        assertEquals(Optional.of("30 */6 * * *"), read(t + ", \"drillEveryHours\": 6}").drillCron());
        assertEquals(Optional.of("30 3 * * 0"), read(t + ", \"drillEveryHours\": 168}").drillCron());
    }

    @Test
    void drillEveryHoursDefaultsToADayAndIsBounded() throws Exception {
        assertEquals(24, read("{\"targets\": [{\"id\": \"a\", \"uri\": \"file:///x\"}]}").drillEveryHours());
        for (int hours : List.of(0, 1, 168)) {
            assertEquals(hours, read("{\"targets\": [{\"id\": \"a\", \"uri\": \"file:///x\"}], \"drillEveryHours\": "
                    + hours + "}").drillEveryHours());
        }
        for (String bad : List.of("-1", "1.5", "\"24\"", "721", "5", "48")) {
            assertTrue(refused("{\"targets\": [{\"id\": \"a\", \"uri\": \"file:///x\"}], \"drillEveryHours\": " + bad
                    + "}").contains("\"drillEveryHours\" must be a whole number of hours"), bad);
        }
    }

    @Test
    void mistakesAreRefusedNamingTheFileAndTheTarget() {
        String file = dir.resolve("backup.json").toAbsolutePath().toString();
        assertTrue(refused("{\"targets\": []}").contains(file));
        assertTrue(refused("{\"targets\": [{\"id\": \"a\", \"uri\": \"file:///x\"}], \"extra\": 1}")
                .contains("unknown key \"extra\""));
        assertTrue(refused("{\"targets\": [{\"id\": \"a\", \"uri\": \"file:///x\", \"url\": \"y\"}]}")
                .contains("unknown key \"url\""));
        assertTrue(refused("{\"targets\": [{\"id\": \"a\", \"uri\": \"file:///x\"}, {\"id\": \"a\", \"uri\":"
                + " \"file:///y\"}]}").contains("target \"a\": the id is used twice"));
        assertTrue(refused("{\"targets\": [{\"id\": \"a\", \"uri\": \"file:///x\"}, {\"id\": \"b\", \"uri\":"
                + " \"file:///x/\"}]}").contains("same URI"));
        assertTrue(refused("{\"targets\": [{\"id\": \"A B\", \"uri\": \"file:///x\"}]}").contains("id \"A B\""));
        assertTrue(refused("{\"targets\": [{\"id\": \"a\", \"uri\": \"ftp://x\"}]}")
                .contains("target \"a\": bad backup target URI"));
        assertTrue(refused("{\"targets\": [{\"id\": \"a\", \"uri\": \"file:///x\", \"credentialsFile\": \"/k\"}]}")
                .contains("takes no credentials"));
        assertTrue(refused("{\"targets\": [{\"id\": \"a\", \"uri\": \"s3://bkt\", \"credentialsFile\": \"/k\","
                + " \"accessKeyIdEnv\": \"X\"}]}").contains("not both"));
        assertTrue(refused("{\"targets\": [{\"id\": \"a\", \"uri\": \"s3://bkt\", \"credentialsFile\": \"k\"}]}")
                .contains("absolute"));
        assertTrue(refused("{\"targets\": [{\"id\": \"a\", \"uri\": \"s3://bkt\", \"accessKeyIdEnv\":"
                + " \"AKIA123=secret\"}]}").contains("not an environment variable name"));
        assertTrue(refused("{\"targets\": [{\"id\": \"a\", \"uri\": \"file:///x\"}, {\"id\": \"a\"}]}")
                .contains("twice"));
        assertTrue(refused("{\"targets\": [{\"id\": \"a\", \"id\": \"b\", \"uri\": \"file:///x\"}]}")
                .contains("not valid JSON"));
    }

    private static BackupConfig.TargetConfig s3(BackupConfig.CredentialSource source) {
        return new BackupConfig.TargetConfig("s3", TargetUri.parse("s3://bkt/p?endpoint=http://127.0.0.1:1"),
                Optional.of(source));
    }

    @Test
    void s3CredentialsComeFromTheNamedEnvironmentVariablesAndMissingOnesAreNamed() {
        BackupConfig.TargetConfig t = s3(new BackupConfig.CredentialSource.Env("K_ID", "K_SECRET"));
        S3Credentials c = Targets.credentials(t, Map.of("K_ID", "id1", "K_SECRET", "sec1"), "t: ");
        assertEquals(new S3Credentials("id1", "sec1"), c);
        assertFalse(c.toString().contains("sec1"), c.toString());
        String e = assertThrows(IllegalArgumentException.class,
                () -> Targets.credentials(t, Map.of("K_ID", "id1"), "t: ")).getMessage();
        assertTrue(e.contains("K_SECRET is not set"), e);
    }

    @Test
    void s3CredentialsFromAFileMustBePrivateAndWellFormed() throws Exception {
        Path f = dir.resolve("s3.credentials");
        Files.writeString(f, "# minio\naccess_key_id = id2\nsecret_access_key=sec2\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        BackupConfig.TargetConfig t = s3(new BackupConfig.CredentialSource.File(f));
        assertEquals(new S3Credentials("id2", "sec2"), Targets.credentials(t, Map.of(), "t: "));

        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Targets.credentials(t, Map.of(), "t: "))
                .getMessage().contains("chmod 600"));

        Files.writeString(f, "sec3-on-its-own\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        String e = assertThrows(IllegalArgumentException.class, () -> Targets.credentials(t, Map.of(), "t: "))
                .getMessage();
        assertTrue(e.contains("line 1"), e);
        assertFalse(e.contains("sec3"), e);
    }

    @Test
    void aDirectoryTargetThatIsNotThereIsNamedWhenOpened() {
        BackupConfig.TargetConfig t = new BackupConfig.TargetConfig("nas",
                TargetUri.parse(dir.resolve("unmounted").toUri().toString()), Optional.empty());
        String e = assertThrows(IllegalArgumentException.class, () -> Targets.open(t, Map.of(), new SystemClock()))
                .getMessage();
        assertTrue(e.startsWith("backup target \"nas\": backup directory"), e);
        try (BackupTarget ok = Targets.open(new BackupConfig.TargetConfig("nas", TargetUri.parse(dir.toUri().toString()),
                Optional.empty()), Map.of(), new SystemClock())) {
            assertInstanceOf(DirectoryTarget.class, ok);
        }
    }
}
