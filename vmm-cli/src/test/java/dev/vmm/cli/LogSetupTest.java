package dev.vmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.ConsoleAppender;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class LogSetupTest {
    /** The command's logging: warnings and errors only, to stderr, in the one-line format. */
    @Test
    void theCommandLogsWarningsToStderrInOneLine() {
        LoggerContext context = new LoggerContext();
        LogSetup.install(context);
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        assertEquals(Level.WARN, root.getLevel());
        ConsoleAppender<?> stderr = assertInstanceOf(ConsoleAppender.class, root.getAppender("STDERR"));
        assertEquals("System.err", stderr.getTarget());
        PatternLayoutEncoder encoder = assertInstanceOf(PatternLayoutEncoder.class, stderr.getEncoder());
        assertEquals("vmm: %-5level %logger{36} - %msg%n", encoder.getPattern());
        context.stop();
    }

    /** Logback finds it as a service, and leaves a configuration file on the class path (the tests' here) to its own configurators. */
    @Test
    void itIsAServiceThatDefersToAConfigurationFile() {
        Configurator found = ServiceLoader.load(Configurator.class).findFirst().orElseThrow();
        assertInstanceOf(LogSetup.class, found);
        LoggerContext context = new LoggerContext();
        assertEquals(Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY, found.configure(context));
        assertEquals(null, context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR"));
    }
}
