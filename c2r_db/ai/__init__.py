"""The AI layer of c2r-db: grounded summaries, reasoned reports and images.

Every provider is reached through its OpenAI-compatible API with the ``openai``
package, which is imported only when a request is made, so importing this
package stays cheap.
"""

from .cache import ResponseCache
from .client import AIModelInterface
from .errors import AIError, AIRequestError, UnknownModelError
from .images import DEFAULT_NEGATIVE_PROMPT, IMAGE_PROMPT_TEMPLATES, build_region_image_request, generate_region_image
from .prompts import LLM_PROMPT_TEMPLATES, generate_llm_prompt
from .providers import PROVIDERS, ProviderSpec
from .reports import (
    DEFAULT_SYSTEM_MESSAGE,
    ReasonedReport,
    ReasonedReportContext,
    build_reasoned_report_messages,
    parse_reasoned_report_output,
    run_reasoned_report,
)
from .retry import RetryPolicy
from .summaries import generate_batch_summaries, generate_summary, generate_summary_async, stream_summary

__all__ = [
    "DEFAULT_NEGATIVE_PROMPT",
    "DEFAULT_SYSTEM_MESSAGE",
    "IMAGE_PROMPT_TEMPLATES",
    "LLM_PROMPT_TEMPLATES",
    "PROVIDERS",
    "AIError",
    "AIModelInterface",
    "AIRequestError",
    "ProviderSpec",
    "ReasonedReport",
    "ReasonedReportContext",
    "ResponseCache",
    "RetryPolicy",
    "UnknownModelError",
    "build_reasoned_report_messages",
    "build_region_image_request",
    "generate_batch_summaries",
    "generate_llm_prompt",
    "generate_region_image",
    "generate_summary",
    "generate_summary_async",
    "parse_reasoned_report_output",
    "run_reasoned_report",
    "stream_summary",
]
