"""A web page that highlights the entities a saved model finds in any text: `make demo`, or a Hugging Face Space.

`make demo` serves the model of the last `make run` (the newest runs/*/artifacts/model) at
http://127.0.0.1:7860; `make demo MODEL_DIR=path/to/model` serves another one. Nothing is shared: the page
listens on this machine only, and Gradio's analytics are off. `--share` (or `launch(share=True)`) asks
Gradio for a temporary public link (up to a week); a Space is the permanent way (demo/README.md).

The page runs the model through `pipeline("token-classification")`, as notebook 05 does, with the
aggregation strategy chosen on the page, and reads texts longer than the model's limit in overlapping
windows (`stride`, a quarter of the limit, as in notebook 08, section 4), so no entity past the limit is lost.

This file needs only gradio and transformers (not ner_helpers), so that demo/ can be pushed to a Space as it is.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Sequence

# Before gradio is imported: no version check or telemetry leaves this machine.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import gradio as gr  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
STRATEGIES = ["simple", "first", "average", "max"]
DEFAULT_STRATEGY = "first"  # a word takes its first sub-token's label, as the model was trained (notebook 05)
TEXT_ID, SUBMIT_ID, OUTPUT_ID, STRATEGY_ID = "ner-text", "ner-submit", "ner-entities", "ner-strategy"
BUILT_IN_EXAMPLES = [
    "Just watched Stranger Things with @maria_k , now flying to New York City for the Apple event #excited",
    "Taylor Swift and Ed Sheeran played Wembley Stadium last night",
    "The Golden State Warriors are an American professional basketball team based in San Francisco.",
]
NO_MODEL_MESSAGE = (
    "No trained model found: no {where}/*/artifacts/model. "
    "Run `make run OFFLINE=1 DATA_DIR=path/to/wnut17` first, or pass MODEL_DIR=path/to/model (--model-dir)."
)


def newest_run_model(runs_dir: str | os.PathLike = REPO_ROOT / "runs") -> Path | None:
    """The model folder of the newest run (`<runs_dir>/*/artifacts/model`, the last one written), or None."""
    models = [path for path in Path(runs_dir).glob("*/artifacts/model") if (path / "config.json").is_file()]
    return max(models, key=lambda path: (path.stat().st_mtime, str(path)), default=None)


def default_model_dir(runs_dir: str | os.PathLike = REPO_ROOT / "runs") -> Path:
    """`model/` beside this file (a Space), else the newest run's model; a clear error when there is neither."""
    if (HERE / "model" / "config.json").is_file():
        return HERE / "model"
    found = newest_run_model(runs_dir)
    if found is None:
        raise FileNotFoundError(NO_MODEL_MESSAGE.format(where=runs_dir))
    return found


def example_texts(model_dir: str | os.PathLike, n: int = 3) -> list[str]:
    """A few sentences with entities from the run's test split (validation without one), else built-in texts.

    The run's data set is `<artifacts>/dataset` beside `<artifacts>/model`, as notebook 01 saved it.
    """
    dataset_dir = Path(model_dir).parent / "dataset"
    if not (dataset_dir / "dataset_dict.json").is_file():
        return list(BUILT_IN_EXAMPLES)
    from datasets import load_from_disk

    dataset = load_from_disk(str(dataset_dir))
    split = dataset["test" if "test" in dataset else "validation"]
    texts = [" ".join(row["tokens"]) for row in split.select(range(min(200, split.num_rows))) if any(row["ner_tags"])]
    return texts[:n] or list(BUILT_IN_EXAMPLES)


def load_pipeline(model_dir: str | os.PathLike) -> tuple[Any, int]:
    """`pipeline("token-classification")` on a saved model, on the CPU, and the stride it reads long texts with."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline

    model_dir = Path(model_dir)
    if not (model_dir / "config.json").is_file():
        raise FileNotFoundError(f"{model_dir} holds no saved model (no config.json): pass the folder notebook 03 saved, "
                                "runs/<date-time>/artifacts/model after `make run`.")
    model = AutoModelForTokenClassification.from_pretrained(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    # The longest input both accept (as ner_helpers.inference.model_max_length): the pipeline cuts windows of
    # tokenizer.model_max_length tokens, so a tokenizer without a real limit must get the model's.
    limits = [getattr(model.config, "max_position_embeddings", None), tokenizer.model_max_length]
    limit = min([int(x) for x in limits if isinstance(x, int) and 0 < x < 1_000_000] or [512])
    tokenizer.model_max_length = limit
    return pipeline("token-classification", model=model, tokenizer=tokenizer, device="cpu"), limit // 4


def make_predict(ner: Any, stride: int):
    """The page's function: text and strategy in, `{"text", "entities"}` out, the form HighlightedText takes."""

    def predict(text: str | None, strategy: str = DEFAULT_STRATEGY) -> dict[str, Any] | None:
        if not text or not text.strip():
            return None  # clears the output
        found = ner(text, aggregation_strategy=strategy or DEFAULT_STRATEGY, stride=stride)
        entities = [
            {"entity_group": e["entity_group"], "start": int(e["start"]), "end": int(e["end"]), "score": float(e["score"])}
            for e in found
        ]
        return {"text": text, "entities": entities}

    return predict


def build_demo(model_dir: str | os.PathLike, examples: Sequence[str] | None = None) -> gr.Blocks:
    """The page: a text box, the aggregation strategy, a button and the text with its entities highlighted."""
    ner, stride = load_pipeline(model_dir)
    predict = make_predict(ner, stride)
    examples = list(examples) if examples is not None else example_texts(model_dir)
    with gr.Blocks(title="Named entities", analytics_enabled=False) as demo:
        gr.Markdown(
            f"# Named entities\nType or paste a text and press **Find entities**. Model: `{model_dir}`; texts longer "
            "than the model's limit are read in overlapping windows."
        )
        text = gr.Textbox(label="Text", lines=4, placeholder="Type a sentence", elem_id=TEXT_ID)
        strategy = gr.Radio(STRATEGIES, value=DEFAULT_STRATEGY, label="Aggregation strategy", elem_id=STRATEGY_ID,
                            info="how the labels of a word's sub-tokens become one entity (notebook 08, section 6)")
        submit = gr.Button("Find entities", variant="primary", elem_id=SUBMIT_ID)
        output = gr.HighlightedText(label="Entities", show_legend=False, elem_id=OUTPUT_ID)
        if examples:
            gr.Examples(examples=[[example] for example in examples], inputs=[text], label="Examples")
        submit.click(predict, inputs=[text, strategy], outputs=output)
        text.submit(predict, inputs=[text, strategy], outputs=output)
    return demo


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", default=os.environ.get("MODEL_DIR") or None,
                        help="a folder saved by notebook 03 (default: MODEL_DIR, else model/ beside this file, else the newest runs/*/artifacts/model)")
    # A Space sets GRADIO_SERVER_NAME=0.0.0.0 and GRADIO_SERVER_PORT; here the page listens on this machine only.
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT") or 7860), help="port (default 7860)")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1",
                        help="address to listen on (default 127.0.0.1: reachable from this machine only)")
    parser.add_argument("--share", action="store_true", help="also ask Gradio for a temporary public link (up to a week); off by default")
    args = parser.parse_args(argv)
    try:
        model_dir = Path(args.model_dir) if args.model_dir else default_model_dir()
        demo = build_demo(model_dir)
    except FileNotFoundError as error:
        sys.exit(str(error))
    print(f"Serving {model_dir} (share={args.share})")
    demo.launch(server_name=args.host, server_port=args.port, share=args.share)


if __name__ == "__main__":
    main()
