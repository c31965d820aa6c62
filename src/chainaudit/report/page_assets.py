"""The page's inline style and script: the example browser (filter by attack, outcome, model and text; sort by a
column), in plain JavaScript with no library, so the page opens from disk with no network."""

from __future__ import annotations

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:0 1.5em 3em;color:#222}
header{border-bottom:1px solid #ccc;margin-bottom:1em}nav a{margin:0 .2em}
h2{border-bottom:2px solid #4c72b0;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0;font-size:12px}th,td{border:1px solid #ddd;padding:2px 6px;
vertical-align:top;text-align:left}th{background:#f3f4f7}
table.examples td{max-width:360px}th[data-key]{cursor:pointer}th[data-key]:hover{background:#dde3f0}
figure{margin:1em 0}figure svg{max-width:100%;height:auto}figcaption{font-size:12px;color:#555}
.empty{color:#a33;font-style:italic}.note{font-size:12px;color:#555}.paper{font-size:12px;color:#333;
background:#f6f6ef;padding:.3em .6em}.warn{color:#a60}
mark{background:#ffe08a}del{background:#f7c6c6;text-decoration:line-through}
.filters{margin:.4em 0}.filters select,.filters input{margin-right:.8em}
.o-succeeded{color:#1a7f37}.o-failed{color:#555}.o-skipped{color:#8a6d00}.o-error{color:#b00;font-weight:bold}
"""

SCRIPT = r"""
(function(){
  function fill(sel, values){
    sel.innerHTML='';
    ['all'].concat(values).forEach(function(v){var o=document.createElement('option');o.value=v;o.textContent=v;
      sel.appendChild(o);});
  }
  function uniq(rows,k){var s={};rows.forEach(function(r){s[r[k]]=1;});return Object.keys(s).sort();}
  function cell(tr,text,cls,html){var td=document.createElement('td');if(html){td.innerHTML=text;}
    else{td.textContent=(text===null||text===undefined)?'–':String(text);}if(cls){td.className=cls;}tr.appendChild(td);}
  function probs(p){return p?' ['+p.join(', ')+']':'';}
  document.querySelectorAll('.browser').forEach(function(box){
    var rows=JSON.parse(document.getElementById(box.dataset.source).textContent);
    var f={attack:box.querySelector('.f-attack'),outcome:box.querySelector('.f-outcome'),
           model:box.querySelector('.f-model')};
    var text=box.querySelector('.f-text'), body=box.querySelector('tbody'), shown=box.querySelector('.shown');
    Object.keys(f).forEach(function(k){fill(f[k],uniq(rows,k));f[k].addEventListener('change',draw);});
    text.addEventListener('input',draw);
    var sortKey=null, asc=true;
    box.querySelectorAll('th[data-key]').forEach(function(th){th.addEventListener('click',function(){
      var k=th.dataset.key; asc=(sortKey===k)?!asc:true; sortKey=k; draw();});});
    function draw(){
      var q=text.value.toLowerCase();
      var keep=rows.filter(function(r){return Object.keys(f).every(function(k){
        return f[k].value==='all'||String(r[k])===f[k].value;})&&
        (!q||(r.original+' '+r.perturbed).toLowerCase().indexOf(q)>=0);});
      if(sortKey){keep.sort(function(a,b){var x=a[sortKey],y=b[sortKey];if(x===y)return 0;
        if(x===null||x===undefined)return 1;if(y===null||y===undefined)return -1;return (x<y?-1:1)*(asc?1:-1);});}
      body.innerHTML='';
      keep.forEach(function(r){var tr=document.createElement('tr');tr.className='row';
        cell(tr,r.model.replace(/@(sha256:)?(.{8}).*/,'@$2'));cell(tr,r.attack);cell(tr,r.outcome,'o-'+r.outcome);
        cell(tr,r.dataset+'/'+r.split+'#'+r.idx+' seed '+r.seed);cell(tr,r.gold);
        cell(tr,(r.pred_before===null?'–':r.pred_before)+probs(r.probs_before)+' → '+
          (r.pred_after===null?'–':r.pred_after)+probs(r.probs_after));
        cell(tr,r.original,null,true);
        if(r.outcome==='error'){cell(tr,'error: '+(r.error||''),'o-error');}else{cell(tr,r.perturbed||'–',null,true);}
        cell(tr,r.queries);cell(tr,r.words_changed);cell(tr,r.valid===null?'–':(r.valid?'yes':'no'));
        body.appendChild(tr);});
      shown.textContent=keep.length+' of '+rows.length+' rows shown';
    }
    draw();
  });
})();
"""
