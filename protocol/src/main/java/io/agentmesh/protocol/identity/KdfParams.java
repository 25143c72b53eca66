package io.agentmesh.protocol.identity;

/**
 * Argon2id cost parameters for deriving the key that encrypts a private key file from a passphrase. They are stored
 * in each encrypted file, so the defaults can be raised later without making old files unreadable.
 *
 * <p>{@link #DEFAULT} (64 MiB, 3 passes, 1 lane) is the RFC 9106 "second recommended option" memory size with
 * three passes: memory-hard enough that a guessing attack needs 64 MiB per try, and about half a second on one core
 * in Bouncy Castle's Java code, paid once when a node starts or the root key signs. Tests pass something tiny.
 *
 * <p>The limits also bound what a corrupt or hostile key file can ask for: at most 1 GiB and 64 passes, so reading
 * a file never exhausts the heap or hangs for minutes.
 *
 * @param memoryKiB   memory in KiB, at least 8 per lane
 * @param iterations  passes over the memory (t)
 * @param parallelism lanes (p)
 */
public record KdfParams(int memoryKiB, int iterations, int parallelism) {
    public static final KdfParams DEFAULT = new KdfParams(64 * 1024, 3, 1);
    public static final int MAX_MEMORY_KIB = 1024 * 1024;
    public static final int MAX_ITERATIONS = 64;
    public static final int MAX_PARALLELISM = 16;

    public KdfParams {
        if (parallelism < 1 || parallelism > MAX_PARALLELISM) {
            throw new IllegalArgumentException("Argon2 parallelism must be 1.." + MAX_PARALLELISM + ", got "
                    + parallelism);
        }
        if (memoryKiB < 8 * parallelism || memoryKiB > MAX_MEMORY_KIB) {
            throw new IllegalArgumentException("Argon2 memory must be " + 8 * parallelism + ".." + MAX_MEMORY_KIB
                    + " KiB, got " + memoryKiB);
        }
        if (iterations < 1 || iterations > MAX_ITERATIONS) {
            throw new IllegalArgumentException("Argon2 iterations must be 1.." + MAX_ITERATIONS + ", got "
                    + iterations);
        }
    }
}
