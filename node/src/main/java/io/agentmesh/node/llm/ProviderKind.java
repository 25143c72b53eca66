package io.agentmesh.node.llm;

/** The wire formats agentmesh speaks to providers, each through its LangChain4j module. */
public enum ProviderKind {
    /** api.openai.com. */
    OPENAI,
    /** An Azure OpenAI resource: a deployment URL and an {@code api-key} header. */
    AZURE_OPENAI,
    /** api.anthropic.com (messages API). */
    ANTHROPIC,
    /** api.deepseek.com: OpenAI's format with its own usage fields. */
    DEEPSEEK,
    /** Any server speaking OpenAI's chat completions (Ollama, vLLM, LM Studio): the base URL is required. */
    OPENAI_COMPATIBLE
}
