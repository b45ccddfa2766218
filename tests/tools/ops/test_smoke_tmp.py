import time, sys, threading, collections
from tests.tools.ops.fakes import deploy
from tools import verify, preflight

def test_smoke(org, stack_file, stubs, connect, aws_env, capsys):
    deploy(org, stack_file, stubs)
    for i in range(2):
        aws = connect("verify")
        starts = {}
        totals = collections.defaultdict(float); counts = collections.Counter()
        def before(model, context, **kw):
            context["t0"] = time.time()
        def after(model, context, **kw):
            name = model.name
            totals[name] += time.time() - context.get("t0", time.time()); counts[name] += 1
        aws.session.events.register_first("before-parameter-build", before)
        aws.session.events.register("after-call", after)
        aws.session.events.register("after-call-error", after)
        t2 = time.time()
        rc = verify.main(["--config", str(stack_file), "--endpoint-url", aws_env.endpoint_url, "--workers", "1"], aws=aws)
        sys.__stderr__.write(f"TIMING verify {time.time()-t2}\n")
        for k, v in sorted(totals.items(), key=lambda kv: -kv[1]):
            sys.__stderr__.write(f"TIMING   {k} {counts[k]} {v:.3f}\n")
    assert False
