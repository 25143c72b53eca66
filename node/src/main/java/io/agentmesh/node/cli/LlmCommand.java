package io.agentmesh.node.cli;

import picocli.CommandLine.Command;

/** `agentmesh llm ...`: the operator's tools for the node's LLM gateway (docs/llm.md). */
@Command(name = "llm", mixinStandardHelpOptions = true,
        description = "The node's LLM gateway (docs/llm.md): its status and costs, and a test of its providers.",
        subcommands = {LlmStatusCommand.class, LlmCostsCommand.class, LlmTestCommand.class})
public final class LlmCommand {
}
