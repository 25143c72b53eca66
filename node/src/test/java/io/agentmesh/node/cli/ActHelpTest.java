package io.agentmesh.node.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ActHelpTest {
    /** A flag the help names but the command does not have sends a new user to an error. */
    @Test
    void everyFlagTheActHelpNamesIsOneOfItsOptions() {
        CommandLine act = new CommandLine(new ActCommand());
        String help = act.getUsageMessage(CommandLine.Help.Ansi.OFF);
        assertTrue(help.contains("--wait-seconds waits for its outcome"), help);
        Matcher m = Pattern.compile("--[a-z][a-z-]*").matcher(help);
        int seen = 0;
        while (m.find()) {
            assertNotNull(act.getCommandSpec().findOption(m.group()), "act --help names " + m.group()
                    + ", which act does not have:\n" + help);
            seen++;
        }
        assertTrue(seen >= 5, help);
    }
}
