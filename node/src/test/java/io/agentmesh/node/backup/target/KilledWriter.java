package io.agentmesh.node.backup.target;

import io.agentmesh.protocol.time.SystemClock;

import java.util.Random;

/**
 * The writer process of {@link BackupTargetContract}'s kill test: opens the target its URI names (S3 credentials from
 * AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and puts large objects one after another until it is killed, saying on
 * stdout which one it is putting.
 */
public final class KilledWriter {
    static final String PREFIX = "kill/";
    static final int OBJECT_BYTES = 48 * 1024 * 1024;

    private KilledWriter() {
    }

    static String name(int i) {
        return PREFIX + "obj-" + i + ".age";
    }

    static int index(String name) {
        return Integer.parseInt(name.substring((PREFIX + "obj-").length(), name.length() - ".age".length()));
    }

    static byte[] content(int i) {
        byte[] b = new byte[OBJECT_BYTES];
        new Random(1000 + i).nextBytes(b);
        return b;
    }

    public static void main(String[] args) throws Exception {
        TargetUri uri = TargetUri.parse(args[0]);
        try (BackupTarget target = switch (uri) {
            case TargetUri.Directory d -> DirectoryTarget.open(d.path(), new SystemClock());
            case TargetUri.S3 s -> S3Target.open(s, new S3Credentials(System.getenv("AWS_ACCESS_KEY_ID"),
                    System.getenv("AWS_SECRET_ACCESS_KEY")));
        }) {
            for (int i = 0; i < 1000; i++) {
                byte[] b = content(i);
                System.out.println("putting " + name(i));
                System.out.flush();
                target.put(name(i), b);
                System.out.println("put " + name(i));
                System.out.flush();
            }
        }
    }
}
