package io.agentmesh.sim.bench;

/**
 * The highest 1-minute load average seen while a measurement runs, sampled every few seconds on a virtual thread:
 * a figure taken on the shared machine says how busy the machine got, not only how busy it was at the ends.
 */
final class LoadWatch implements AutoCloseable {
    private static final long SAMPLE_MS = 5000;

    private final Thread sampler;
    private volatile double max;
    private volatile boolean stopped;

    private LoadWatch() {
        this.max = LoadAverage.now().oneMinute();
        this.sampler = Thread.ofVirtual().name("load-watch").unstarted(this::sample);
    }

    static LoadWatch start() {
        LoadWatch w = new LoadWatch();
        w.sampler.start();
        return w;
    }

    private void sample() {
        while (!stopped) {
            try {
                Thread.sleep(SAMPLE_MS);
            } catch (InterruptedException e) {
                return;
            }
            max = Math.max(max, LoadAverage.now().oneMinute());
        }
    }

    /** The highest 1-minute load average sampled so far, to hundredths. */
    double max() {
        return Math.round(Math.max(max, LoadAverage.now().oneMinute()) * 100) / 100.0;
    }

    @Override
    public void close() {
        stopped = true;
        sampler.interrupt();
    }
}
