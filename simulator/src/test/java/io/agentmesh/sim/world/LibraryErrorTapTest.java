package io.agentmesh.sim.world;

import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The tap hears a library's ERRORs on the run's thread only, and nothing once closed. */
class LibraryErrorTapTest {
    private static final Logger HANDLER = LoggerFactory.getLogger("io.microraft.impl.handler.SomeHandler");

    @Test
    void hearsErrorsOfTheLibraryOnItsOwnThreadWhileInstalled() throws InterruptedException {
        List<LibraryErrorTap.Event> heard = new ArrayList<>();
        try (LibraryErrorTap tap = LibraryErrorTap.install("io.microraft", heard::add)) {
            HANDLER.warn("a warning is routine");
            HANDLER.error("{} Cannot decrement next index: {}", "n1<g>", 16);
            LoggerFactory.getLogger("io.agentmesh.other").error("not the library");
            Thread other = new Thread(() -> HANDLER.error("another run's thread"));
            other.start();
            other.join();
            HANDLER.error("with a cause", new IllegalStateException("boom"));
        }
        HANDLER.error("after close");
        assertEquals(List.of(
                new LibraryErrorTap.Event("io.microraft.impl.handler.SomeHandler",
                        "n1<g> Cannot decrement next index: 16"),
                new LibraryErrorTap.Event("io.microraft.impl.handler.SomeHandler",
                        "with a cause (java.lang.IllegalStateException: boom)")), heard);
    }
}
