package io.agentmesh.node.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The progress renderer: a bar in place on a terminal, periodic lines elsewhere, bounded output. */
class ProgressTest {
    @Test
    void aBarIsRedrawnInPlaceAndEndsWithANewline() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Progress p = new Progress(new PrintStream(out, true, StandardCharsets.UTF_8), Progress.Mode.BAR,
                "importing", 200, "changes")) {
            for (int i = 0; i < 100_000; i++) {
                p.advance(0); // a tight loop redraws at most every 100 ms
            }
            p.set(50);
        }
        String s = out.toString(StandardCharsets.UTF_8);
        assertTrue(s.startsWith("\r"), s);
        assertTrue(s.endsWith("\n"), s);
        assertTrue(s.contains("importing [######..................] 25% 50/200 changes"), s);
        assertTrue(s.split("\r").length < 20, "throttled: " + s.split("\r").length + " redraws");
        for (String line : s.split("\r")) {
            assertTrue(line.length() <= Progress.WIDTH + 1, line);
        }
    }

    @Test
    void withoutATerminalShortWorkPrintsNothingAndLongWorkPeriodicLinesAndALastOne() throws Exception {
        ByteArrayOutputStream quick = new ByteArrayOutputStream();
        try (Progress p = new Progress(new PrintStream(quick, true, StandardCharsets.UTF_8), Progress.Mode.LINES,
                "importing", 10, "changes")) {
            p.set(10);
        }
        assertEquals(0, quick.size(), "work shorter than a line period prints no progress");

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Progress p = new Progress(new PrintStream(out, true, StandardCharsets.UTF_8), Progress.Mode.LINES,
                "reading and verifying directory /nas", 0, "bytes", 50)) {
            p.total(20 * 1024 * 1024);
            for (int i = 0; i < 10; i++) {
                p.advance(1024 * 1024);
                Thread.sleep(30);
            }
        }
        String s = out.toString(StandardCharsets.UTF_8);
        long lines = s.lines().count();
        assertTrue(lines >= 3 && lines <= 8, "a line per 50 ms of about 300 ms, and the last: " + s);
        assertTrue(s.lines().toList().getLast().startsWith("reading and verifying directory /nas 50% 10 MiB/20 MiB "), s);
        assertTrue(!s.contains("\r"), s);
    }

    @Test
    void theEnvironmentChoosesTheMode() {
        assertEquals(Progress.Mode.OFF, Progress.mode("off"));
        assertEquals(Progress.Mode.LINES, Progress.mode("LINES"));
        assertEquals(Progress.Mode.BAR, Progress.mode("bar"));
        Progress.Mode auto = Progress.mode(null);
        assertTrue(auto == Progress.Mode.BAR || auto == Progress.Mode.LINES);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Progress p = new Progress(new PrintStream(out, true, StandardCharsets.UTF_8), Progress.Mode.OFF, "x", 1,
                "changes")) {
            p.set(1);
        }
        assertEquals(0, out.size());
    }

    @Test
    void aNoteFollowsTheCountWithinTheWidth() {
        Progress p = new Progress(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                Progress.Mode.LINES, "sim seeds", 40, "seeds");
        p.set(10);
        p.note("1 failed, 130x real time");
        assertEquals("sim seeds 25% 10/40 seeds, 1 failed, 130x real time 2.0 s", p.render(2_000));
        p.note("x".repeat(300));
        assertEquals(Progress.WIDTH, p.render(2_000).length());
    }
}
