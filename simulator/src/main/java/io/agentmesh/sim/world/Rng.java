package io.agentmesh.sim.world;

import java.util.SplittableRandom;

/**
 * Seeded random streams, one per component. Each stream is derived from the run's seed and a name (and optional
 * numbers), never from the order in which components ask for one, so adding a component or a draw in one place does
 * not shift the draws anywhere else.
 */
public final class Rng {
    private Rng() {
    }

    /** A stream for {@code component} (e.g. "net", "node/3/core/2") of the run with {@code seed}. */
    public static SplittableRandom stream(long seed, String component) {
        long h = mix(seed ^ 0x9E3779B97F4A7C15L);
        for (int i = 0; i < component.length(); i++) {
            h = mix(h ^ component.charAt(i));
        }
        return new SplittableRandom(h);
    }

    public static SplittableRandom stream(long seed, String component, long... parts) {
        StringBuilder name = new StringBuilder(component);
        for (long p : parts) {
            name.append('/').append(p);
        }
        return stream(seed, name.toString());
    }

    /** splitmix64's finalizer: a bijective scramble of 64 bits. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** An exponentially distributed draw with the given mean (same unit as the mean). */
    public static double exponential(java.util.random.RandomGenerator r, double mean) {
        return -mean * Math.log(1.0 - r.nextDouble());
    }
}
