package io.agentmesh.node.cli;

import picocli.CommandLine.Command;

/** `agentmesh llm ...`: the operator's tools for the node's LLM providers (docs/llm.md). */
@Command(name = "llm", mixinStandardHelpOptions = true,
        description = "The node's LLM providers (docs/llm.md). The gateway itself is not finished: see its Status.",
        subcommands = {LlmTestCommand.class})
public final class LlmCommand {
}
