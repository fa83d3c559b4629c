#!/usr/bin/env python3
"""Fails when modules of src/ import each other in a cycle (file level:
`crate::a::b` and `super::x` references, tests excluded). Run from the
repository root; prints every cycle found."""
import re,glob,os,sys
root='src'
files={}
for p in glob.glob(root+'/**/*.rs',recursive=True):
    rel=os.path.relpath(p,root)[:-3]
    parts=rel.split('/')
    if parts[-1] in ('mod','lib','main'): parts=parts[:-1]
    files['::'.join(parts)]=p
def resolve(path):
    # longest prefix that is a module
    segs=path.split('::')
    for i in range(len(segs),0,-1):
        m='::'.join(segs[:i])
        if m in files: return m
    return None
graph={}
for m,p in files.items():
    s=open(p).read()
    s=re.sub(r'#\[cfg\(test\)\]\s*mod tests \{.*','',s,flags=re.S)
    s=re.sub(r'//[^\n]*','',s)  # comments name modules without using them
    deps=set()
    for g in re.findall(r'crate::([a-z_:]+(?:::\{[^}]*\})?)',s):
        base=g.split('::{')[0]
        if '::{' in g:
            inner=g.split('::{')[1].rstrip('}')
            for it in inner.split(','):
                it=it.strip().split(' ')[0]
                r=resolve(base+'::'+it) if it and it!='self' else resolve(base)
                if r: deps.add(r)
        r=resolve(base)
        if r: deps.add(r)
    # super:: references
    for g in re.findall(r'\bsuper::([a-z_]+)',s):
        parent='::'.join(m.split('::')[:-1])
        r=resolve((parent+'::' if parent else '')+g)
        if r: deps.add(r)
    # child mods declared
    deps.discard(m)
    graph[m]=deps
# tarjan
idx={};low={};st=[];on=set();out=[];c=[0]
sys.setrecursionlimit(10000)
def sc(v):
    idx[v]=low[v]=c[0];c[0]+=1;st.append(v);on.add(v)
    for w in graph.get(v,()):
        if w not in idx: sc(w);low[v]=min(low[v],low[w])
        elif w in on: low[v]=min(low[v],idx[w])
    if low[v]==idx[v]:
        comp=[]
        while True:
            w=st.pop();on.discard(w);comp.append(w)
            if w==v:break
        if len(comp)>1: out.append(comp)
for v in graph:
    if v not in idx: sc(v)
for comp in out: print(len(comp), sorted(comp))
print("import cycles:", len(out))
sys.exit(1 if out else 0)
