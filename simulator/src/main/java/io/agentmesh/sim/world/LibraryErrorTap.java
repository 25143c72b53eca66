package io.agentmesh.sim.world;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.AppenderBase;
import org.slf4j.LoggerFactory;

import java.util.function.Consumer;

/**
 * Hears the ERROR lines a library logs during one simulated run: a Logback appender on the library's logger that
 * passes on the events logged on the thread that installed it (the run's thread, where every simulated node runs),
 * so runs on other threads do not mix. The run records them as problems for the node-health check. Simulator only;
 * production nodes log them and nothing more.
 *
 * <p>An ERROR is heard only while the library's logger lets it through, which every configuration here does (the
 * simulator's CLI and tests set {@code io.microraft} to ERROR); with another binding than Logback, nothing is heard.
 */
public final class LibraryErrorTap implements AutoCloseable {
    /** One ERROR line: the full logger name, the formatted message, and the exception's class and message if any. */
    public record Event(String logger, String message) {
    }

    private final Logger logger;
    private final Appender appender;

    private LibraryErrorTap(Logger logger, Appender appender) {
        this.logger = logger;
        this.appender = appender;
    }

    /** Starts hearing ERRORs of {@code loggerName} and its children on this thread; {@link #close()} stops. */
    public static LibraryErrorTap install(String loggerName, Consumer<Event> sink) {
        if (!(LoggerFactory.getLogger(loggerName) instanceof Logger logback)) {
            return new LibraryErrorTap(null, null);
        }
        Appender appender = new Appender(Thread.currentThread(), sink);
        appender.setContext(logback.getLoggerContext());
        appender.setName("library-error-tap-" + loggerName);
        appender.start();
        logback.addAppender(appender);
        return new LibraryErrorTap(logback, appender);
    }

    @Override
    public void close() {
        if (logger != null) {
            logger.detachAppender(appender);
            appender.stop();
        }
    }

    private static final class Appender extends AppenderBase<ILoggingEvent> {
        private final Thread owner;
        private final Consumer<Event> sink;

        Appender(Thread owner, Consumer<Event> sink) {
            this.owner = owner;
            this.sink = sink;
        }

        @Override
        protected void append(ILoggingEvent e) {
            if (Thread.currentThread() != owner || !e.getLevel().isGreaterOrEqual(Level.ERROR)) {
                return;
            }
            IThrowableProxy t = e.getThrowableProxy();
            sink.accept(new Event(e.getLoggerName(), t == null ? e.getFormattedMessage()
                    : e.getFormattedMessage() + " (" + t.getClassName() + ": " + t.getMessage() + ")"));
        }
    }
}
