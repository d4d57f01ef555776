"""Identification: per-proxy scores once per task (shared by every method), then each method's set."""


def attribution_kinds():
    """What the configured methods read (the method registry): computed in one job so no score is computed twice."""
    methods = set(METHODS) | set(config.get("ablation_methods", [])) | set(TABLE7.get("methods", []))
    return ",".join(registry.attribution_kinds(sorted(methods)))


rule attribute:
    output:
        R + "/{model}/{task}/attributions.pt",
    params:  # every value the command uses is a param: changing one in the config reruns the job
        options=task_options,
        kinds=attribution_kinds(),
        steps=config["steps"],
        layer_batch=config["layer_batch"],
    threads: 2
    resources:
        gpu=1,
    log:
        R + "/logs/{model}/{task}/attribute.log",
    benchmark:
        R + "/benchmarks/{model}/{task}/attribute.tsv"
    shell:
        "OMP_NUM_THREADS={threads} neuronllm attribute {params.options} --kinds {params.kinds} "
        "--steps {params.steps} --batch-size {params.layer_batch} --out {output} 2> {log}"


rule identify:
    input:
        R + "/{model}/{task}/attributions.pt",
    output:
        R + "/{model}/{task}/{method}/k{budget}/neurons.json",
    wildcard_constraints:
        method="|".join(registry.METHOD_NAMES),
    params:
        options=task_options,
        steps=config["steps"],
        z=config["z"],
    log:
        R + "/logs/{model}/{task}/{method}/k{budget}/identify.log",
    benchmark:
        R + "/benchmarks/{model}/{task}/{method}/k{budget}/identify.tsv"
    shell:
        "neuronllm identify {params.options} --method {wildcards.method} --budget {wildcards.budget} "
        "--steps {params.steps} --z {params.z} --attributions {input} --out {output} 2> {log}"


rule common:
    input:
        lambda w: expand(R + "/{{model}}/{task}/cni/k{{budget}}/neurons.json", task=TASKS),
    output:
        R + "/{model}/common/k{budget}/neurons.json",
    log:
        R + "/logs/{model}/common/k{budget}/common.log",
    benchmark:
        R + "/benchmarks/{model}/common/k{budget}/common.tsv"
    shell:
        "neuronllm common --sets {input} --budget {wildcards.budget} --out {output} 2> {log}"


def neuron_file(wildcards):
    if wildcards.method == "common":
        return f"{R}/{wildcards.model}/common/k{wildcards.budget}/neurons.json"
    return f"{R}/{wildcards.model}/{wildcards.task}/{wildcards.method}/k{wildcards.budget}/neurons.json"
