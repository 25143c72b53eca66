/**
 * The LLM gateway's providers (docs/llm.md, "Providers" and "Error classes"): one {@link
 * io.agentmesh.node.llm.provider.LlmProvider} per configured provider performs one attempt, blocking, and ends it as
 * an {@link io.agentmesh.node.llm.AttemptResult}.
 *
 * <p>Through LangChain4j 1.19 (its OpenAI and Anthropic modules) with its retries off; per attempt a model on that
 * attempt's HTTP client ({@code AttemptHttpClient} over {@code TrackingJdkClient}), which records the response's
 * status and headers (Retry-After), shows every raw stream event to agentmesh's own check of the format
 * ({@code Wire}), and lets the attempt's watchdog abort the exchange. {@code ErrorClassifier} maps status, body and
 * transport to an {@link io.agentmesh.node.llm.ErrorClass}; {@code UsageReader} normalises usage.
 *
 * <p>Blocking IO on the caller's thread and on virtual threads of each provider: never on the node thread.
 */
package io.agentmesh.node.llm.provider;
