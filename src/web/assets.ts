/**
 * The pages' only static files, served from memory: one stylesheet and one small script (copy
 * buttons, forms that call the JSON API with the session's CSRF token, the live refresh). No build
 * step, nothing fetched at run time.
 */
export const CSS = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1d232a;background:#f5f6f8}
header{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center;padding:.6rem 1rem;background:#1f2d3d;color:#fff}
header a{color:#dfe7f1;text-decoration:none}header a:hover{text-decoration:underline}
header .brand{font-weight:700;color:#fff;margin-right:auto}
header form{margin:0}
main{max-width:1200px;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:1.4rem 0 .5rem}
.card{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:1rem;margin-bottom:1rem;min-width:0}
.tabs{display:flex;gap:.25rem;margin-bottom:-1px;flex-wrap:wrap}
.tabs a{padding:.5rem .9rem;border:1px solid #dde1e6;border-bottom:none;border-radius:8px 8px 0 0;background:#e9ecf0;color:#1d232a;text-decoration:none}
.tabs a.on{background:#fff;font-weight:600}
label{display:block;margin:.4rem 0 .15rem;font-weight:600}
input,select,textarea{font:inherit;padding:.4rem .5rem;border:1px solid #b9c0c8;border-radius:5px;max-width:100%;width:22rem}
textarea{width:100%;min-height:4.5rem;font-family:ui-monospace,monospace}
button{font:inherit;padding:.4rem .9rem;border-radius:5px;border:1px solid #2b5a8a;background:#2f6aa6;color:#fff;cursor:pointer;margin:.2rem .2rem .2rem 0}
button.secondary{background:#fff;color:#2b5a8a}button.danger{background:#a63232;border-color:#8a2b2b}
pre{background:#0f1720;color:#e6edf3;padding:.6rem;border-radius:6px;overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere;max-width:100%}
#operator{color:#c9d6e3}
code{font-family:ui-monospace,monospace}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{font-size:.85rem;color:#55606b}
.mark{display:inline-block;padding:0 .4rem;border-radius:4px;font-size:.8rem;background:#fde8c8;color:#7a4a00}
.state-online{color:#16703a;font-weight:600}.state-offline,.state-expired{color:#a63232;font-weight:600}.state-provisioning,.state-enrolling{color:#7a4a00}
.muted{color:#66717c}.err{color:#a63232;font-weight:600}.ok{color:#16703a;font-weight:600}
.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end}.filters label{margin:0}.filters select,.filters input{width:auto}
dl.fields{display:grid;grid-template-columns:minmax(8rem,max-content) 1fr;gap:.2rem 1rem;margin:0}
dl.fields dt{font-weight:600;color:#55606b}dl.fields dd{margin:0;word-break:break-all}
.qr svg{width:min(320px,80vw);height:auto;background:#fff}
.inline{display:inline}label.check{font-weight:normal}label.check input{width:auto}input.short{width:7rem}
.todo{border-left:4px solid #d9a300;background:#fff8e1;padding:.6rem}
.glance{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center}.badge{display:inline-block;padding:.1rem .6rem;border-radius:4px;border:1px solid currentColor}
.badge.qualified{color:#7a4a00}.warn{border-left:4px solid #d9a300;background:#fff8e1;padding:.5rem .7rem}
@media (max-width:600px){main{padding:.6rem}dl.fields{grid-template-columns:1fr}th,td{padding:.3rem}}
`;

export const JS = `
(function(){
'use strict';
var csrf=(document.querySelector('meta[name=csrf]')||{}).content||'';
function show(el,text,cls){if(!el)return;el.hidden=false;el.textContent=text;el.className=cls||'';}
document.addEventListener('click',function(e){
  var b=e.target.closest&&e.target.closest('button[data-copy]');if(!b)return;
  var src=document.getElementById(b.dataset.copy);if(!src)return;
  var t=src.textContent;
  var done=function(){b.textContent='Copied';setTimeout(function(){b.textContent='Copy';},1500);};
  var legacy=function(){sel(src);try{if(document.execCommand('copy'))done();}catch(_){}};
  if(navigator.clipboard&&window.isSecureContext)navigator.clipboard.writeText(t).then(done,legacy);else legacy();
});
function sel(el){var r=document.createRange();r.selectNodeContents(el);var s=getSelection();s.removeAllRanges();s.addRange(r);}
function bodyOf(form,submitter){
  var body={};
  Array.prototype.forEach.call(form.elements,function(el){
    if(!el.name||el.disabled||el.type==='submit'||el.name==='_csrf')return;
    if(el.type==='checkbox'){if('list' in el.dataset){(body[el.name]=body[el.name]||[]);if(el.checked)body[el.name].push(el.value);}else body[el.name]=el.checked;return;}
    if(el.value===''&&'optional' in el.dataset)return;
    body[el.name]=el.type==='number'?Number(el.value):el.value;
  });
  if(submitter&&submitter.name)body[submitter.name]='json' in submitter.dataset?JSON.parse(submitter.value):submitter.value;
  return body;
}
async function call(method,url,body){
  var h={'x-csrf-token':csrf};if(body!==undefined)h['content-type']='application/json';
  var res=await fetch(url,{method:method,headers:h,body:body===undefined?undefined:JSON.stringify(body),credentials:'same-origin'});
  var text=await res.text();var data=null;try{data=text?JSON.parse(text):null;}catch(_){}
  return {status:res.status,data:data};
}
var after={
  enrollment:function(form,d){
    var box=document.getElementById('install');box.hidden=false;
    document.getElementById('cmd-powershell').textContent=d.install.powershell;
    document.getElementById('cmd-bash').textContent=d.install.bash;
    document.getElementById('expires').textContent=new Date(d.expires_at).toLocaleString()+' ('+d.expires_at+')';
    document.getElementById('node-id').textContent=d.node_id;
  },
  exec:async function(form,d){
    var out=document.getElementById('exec-result');var base=form.dataset.api+'/'+encodeURIComponent(d.id)+'/result?wait=30';
    show(out,'exec '+d.id+' queued; waiting for the result…','muted');refresh();
    for(var i=0;i<40;i++){
      var r=await call('GET',base);
      if(r.status===200){var x=r.data;show(out,'status: '+x.status+'   exit code: '+x.exit_code+'\\n--- stdout ---\\n'+x.stdout+(x.stderr?'\\n--- stderr ---\\n'+x.stderr:''),'');refresh();return;}
      if(r.status!==202){show(out,'error '+r.status+': '+(r.data&&r.data.message),'err');return;}
    }
    show(out,'still waiting; see the queue below','muted');
  },
  deleted:function(){location.href='/';}
};
document.addEventListener('submit',async function(e){
  var form=e.target;if(!form.dataset||!form.dataset.api)return;
  e.preventDefault();
  // Destructive actions (data-confirm on the form or the button pressed) ask before anything is sent.
  var ask=(e.submitter&&e.submitter.dataset.confirm)||form.dataset.confirm;
  var out=form.querySelector('[data-out]');
  if(ask&&!window.confirm(ask)){show(out,'Not sent','muted');return;}
  show(out,'…','muted');
  var method=form.dataset.method||'POST';
  var r;try{r=await call(method,form.dataset.api,method==='DELETE'?undefined:bodyOf(form,e.submitter));}
  catch(err){show(out,'request failed: '+err.message,'err');return;}
  if(r.status>=400){show(out,(r.data&&r.data.message)||('error '+r.status),'err');return;}
  show(out,form.dataset.done||'Done','ok');
  if(form.dataset.after&&after[form.dataset.after])await after[form.dataset.after](form,r.data);else refresh();
});
var live=document.getElementById('live');
async function refresh(){
  if(!live)return;
  try{
    var res=await fetch(location.href,{headers:{'x-fragment':'live'},credentials:'same-origin'});
    if(res.redirected||res.status===401||res.status===403){location.reload();return;}
    if(res.ok)live.innerHTML=await res.text();
  }catch(_){}
}
if(live){var every=Number(live.dataset.refresh||5)*1000;setInterval(function(){if(!document.hidden)refresh();},every);}
})();
`;
