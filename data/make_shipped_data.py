#!/usr/bin/env python3
"""Generate the small datasets shipped in data/ (deterministic; stdlib and PyYAML).

Every sentence, question and answer below (and in data/sources/) was written by hand for this project;
nothing is copied from the Hugging Face datasets whose *schema* the files follow. The label orders
are the task YAMLs' `label_names` (tasks/aqua/), read here, so the package and the files agree by
construction; tests/unit/test_shipped_data.py regenerates every file and compares bytes.

Run from the repository root:  python data/make_shipped_data.py
It rewrites data/{ner,chunking,sentiment,commonsense}/*.jsonl.
Items are split alternately (even positions -> train, odd -> test/validation;
sentiment alternates in +/- pairs so both splits stay balanced).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
TASKS = HERE.parent / "tasks" / "aqua"


def label_names_of(task: str) -> list[str]:
    """A task's labels in their ClassLabel order: the task YAML's `label_names`, the one list the package,
    these files and their tests read."""
    return list(
        yaml.safe_load((TASKS / f"aqua_{task}.yaml").read_text(encoding="utf-8"))["dataset_kwargs"]["spec"][
            "label_names"
        ]
    )


# ---------------------------------------------------------------------------
# 1. NER (DFKI-SLT/few-nerd, config "supervised", coarse ner_tags)
# ---------------------------------------------------------------------------
NER_LABELS = label_names_of("ner")
_CODE_NAMES = {"art": "art", "bld": "building", "evt": "event", "loc": "location", "org": "organization"}
_CODE_NAMES |= {"oth": "other", "per": "person", "prd": "product"}
NER_CODES = {code: NER_LABELS.index(name) for code, name in _CODE_NAMES.items()}

# One sentence per line; tokens separated by spaces; entities as [tokens|code].
NER_TEXT = """
[Angela Rivera|per] joined [Siemens|org] as an engineer after finishing her degree in [Munich|loc] .
Thousands of fans gathered outside [Wembley Stadium|bld] before the [FA Cup|evt] final .
[Toyota|org] unveiled the new [Corolla|prd] at a press event in [Tokyo|loc] .
Her favourite novel is [Pride and Prejudice|art] by [Jane Austen|per] .
Doctors at [Massachusetts General Hospital|bld] are studying a new treatment for [malaria|oth] .
The [Second World War|evt] ended in 1945 .
[Apple|org] released a security update for the [iPhone|prd] last week .
Most people in [Brazil|loc] speak [Portuguese|oth] at home .
[Leonardo da Vinci|per] painted the [Mona Lisa|art] in the early sixteenth century .
The flight from [Heathrow Airport|bld] to [New York|loc] was delayed by fog .
[Pablo Neruda|per] won the [Nobel Prize in Literature|oth] in 1971 .
The [Red Cross|org] sent volunteers to the flooded villages along the [Danube|loc] .
[Usain Bolt|per] set a world record at the [2008 Summer Olympics|evt] .
The [Louvre|bld] attracts millions of visitors to [Paris|loc] every year .
[Microsoft|org] stopped supporting [Windows XP|prd] in 2014 .
The film [Casablanca|art] was released in 1942 and is still popular today .
Prices in [Kenya|loc] are usually listed in [shillings|oth] .
The [Titanic|prd] sank on its first voyage across the [Atlantic|loc] .
[Greenpeace|org] protested against the new pipeline in [Alaska|loc] .
The [Glastonbury Festival|evt] returned this summer after a year off .
My grandfather still drives an old [Volkswagen Beetle|prd] to the market .
[Frida Kahlo|per] was born in [Coyoacan|loc] , near [Mexico City|loc] .
The [Affordable Care Act|oth] was signed into law in 2010 .
[Serena Williams|per] won her first [US Open|evt] title at the age of seventeen .
The [Sydney Opera House|bld] was designed by [Jorn Utzon|per] .
[Beethoven|per] composed the [Moonlight Sonata|art] in 1801 .
The [United Nations|org] held an emergency meeting about the drought in [Somalia|loc] .
[Diabetes|oth] affects millions of adults in [India|loc] .
Police closed the street outside [St Mary 's Hospital|bld] after a water main burst .
[Tesla|org] recalled thousands of [Model 3|prd] cars because of a seat belt problem .
[Gabriel Garcia Marquez|per] wrote [One Hundred Years of Solitude|art] .
The [Boston Marathon|evt] takes place every April .
She learned [Japanese|oth] while teaching [English|oth] in [Osaka|loc] .
[Amazon|org] opened a new warehouse outside [Dallas|loc] .
The [Mississippi River|loc] flooded several towns in [Missouri|loc] .
[Nelson Mandela|per] spent twenty-seven years in prison before becoming president of [South Africa|loc] .
The [Boeing 747|prd] first flew in 1969 .
[Vincent van Gogh|per] painted [The Starry Night|art] while staying in [Saint-Remy|loc] .
The [Tour de France|evt] finished on the [Champs-Elysees|loc] in [Paris|loc] .
[Oxford University|org] announced a new scholarship for students from [Ghana|loc] .
The [Empire State Building|bld] was lit in blue and yellow last night .
The song [Yesterday|art] was recorded by [The Beatles|org] in 1965 .
Engineers tested the [Falcon 9|prd] rocket at a site in [Texas|loc] .
[Measles|oth] cases rose sharply last year , according to the [World Health Organization|org] .
[Ernest Hemingway|per] lived in [Havana|loc] for many years .
The [French Revolution|evt] began in 1789 .
The [Kindle|prd] made reading electronic books popular .
[Madison Square Garden|bld] will host the concert on Friday .
[Lionel Messi|per] signed a contract with [Inter Miami|org] in 2023 .
The [euro|oth] replaced the [Deutsche Mark|oth] in [Germany|loc] in 2002 .
[Rosa Parks|per] refused to give up her seat on a bus in [Montgomery|loc] .
The [Guggenheim Museum|bld] in [Bilbao|loc] opened in 1997 .
[Samsung|org] sold more [Galaxy S24|prd] phones than expected this quarter .
The [Cannes Film Festival|evt] opened with a new comedy .
[Hamlet|art] is the longest play by [William Shakespeare|per] .
[Mount Kilimanjaro|loc] is the highest mountain in [Africa|loc] .
[NASA|org] launched the [Hubble Space Telescope|prd] in 1990 .
[Alzheimer 's disease|oth] was first described by [Alois Alzheimer|per] .
The [Wimbledon Championships|evt] are played on grass courts .
[Taylor Swift|per] performed at [Soldier Field|bld] in [Chicago|loc] .
The [Nile|loc] flows north into the [Mediterranean Sea|loc] .
[Toni Morrison|per] published [Beloved|art] in 1987 .
The [Geneva Conventions|oth] protect prisoners of war .
[IKEA|org] was founded in [Sweden|loc] by [Ingvar Kamprad|per] .
The [Chernobyl disaster|evt] forced thousands of families to leave their homes .
He bought a used [Honda Civic|prd] from a dealer in [Ohio|loc] .
[Albert Einstein|per] worked at the patent office in [Bern|loc] .
The [Burj Khalifa|bld] is the tallest building in [Dubai|loc] .
[Harvard University|org] received a large donation from a former student .
Fans lined up for hours to see [Star Wars|art] on its opening night .
The [Euro 2024|evt] tournament was held in [Germany|loc] .
[Malaria|oth] is spread by mosquitoes in warm and wet regions .
[Charles Darwin|per] sailed on the [HMS Beagle|prd] for five years .
The [Bank of England|org] raised interest rates again on Thursday .
[Lake Victoria|loc] borders [Uganda|loc] and [Kenya|loc] .
Critics praised [The Godfather|art] for its acting and its music .
[Pope Francis|per] celebrated mass at [Madison Square Garden|bld] during his visit .
The [Olympic Games|evt] return to [Los Angeles|loc] in 2028 .
[Google|org] added new features to [Android|prd] this year .
[Mandarin|oth] is the most widely spoken language in [China|loc] .
[Marco Polo|per] travelled along the [Silk Road|loc] to reach [China|loc] .
The gallery displayed [The Night Watch|art] by [Rembrandt|per] in a newly restored frame .
[Boston Children 's Hospital|bld] opened a new research wing .
The [Super Bowl|evt] drew more than one hundred million viewers .
[Oprah Winfrey|per] started her own television network in 2011 .
[Nokia|org] was once the largest maker of mobile phones in the world .
The [Sahara|loc] covers much of northern [Africa|loc] .
The [Magna Carta|oth] was sealed by [King John|per] in 1215 .
Workers finished repairs on the [Colosseum|bld] in [Rome|loc] .
[PlayStation 5|prd] sales increased during the holiday season .
[Amelia Earhart|per] disappeared over the [Pacific Ocean|loc] in 1937 .
The [American Civil War|evt] lasted four years .
[Netflix|org] is making a series based on the novel [Anne of Green Gables|art] .
[Cholera|oth] outbreaks often follow floods in [Bangladesh|loc] .
The [Hollywood Bowl|bld] hosted an outdoor concert on Saturday .
[Stephen King|per] wrote [The Shining|art] while living in [Colorado|loc] .
The [Airbus A380|prd] can carry more than five hundred passengers .
[Mahatma Gandhi|per] led the [Salt March|evt] in 1930 .
The [Toronto International Film Festival|evt] screened more than two hundred films .
[FIFA|org] announced that [Morocco|loc] will co-host the tournament .
The [Grammy Award|oth] for best album went to a young singer from [Nigeria|loc] .
[Wolfgang Amadeus Mozart|per] wrote [The Magic Flute|art] shortly before his death .
The [Shard|bld] offers wide views across [London|loc] .
[Ferrari|org] showed a new sports car at the [Geneva Motor Show|evt] .
[Arabic|oth] and [French|oth] are both spoken in [Morocco|loc] .
[Neil Armstrong|per] was the first person to walk on the [Moon|oth] .
[Adidas|org] signed a deal to make kits for the national team .
The [Eiffel Tower|bld] was built for the [1889 World 's Fair|evt] .
[Hurricane Katrina|evt] caused huge damage in [New Orleans|loc] .
She plays the violin in the [Vienna Philharmonic|org] .
[Photoshop|prd] is widely used by designers and photographers .
[Rembrandt|per] lived in [Amsterdam|loc] for most of his life .
The [Rolling Stones|org] played two nights at [Wembley Stadium|bld] .
[Tuberculosis|oth] remains a serious health problem in many countries .
The [Gulf War|evt] began in 1990 after [Iraq|loc] invaded [Kuwait|loc] .
[Hamilton|art] won eleven [Tony Awards|oth] in 2016 .
[Maria Lopez|per] , a doctor at [Cedars-Sinai Medical Center|bld] , spoke to reporters on Monday .
The [Great Wall of China|bld] stretches across mountains and deserts .
[Intel|org] plans to build a chip factory in [Arizona|loc] .
[George Orwell|per] published [Animal Farm|art] in 1945 .
The [Indian Ocean|loc] is warming faster than scientists expected .
[Ebola|oth] spread quickly through [Guinea|loc] and [Liberia|loc] in 2014 .
The [Toyota Prius|prd] was one of the first popular hybrid cars .
The [Woodstock Festival|evt] took place on a farm in upstate [New York|loc] .
[Real Madrid|org] beat [Barcelona|org] two goals to one on Saturday .
The concert at [Carnegie Hall|bld] sold out in minutes .
[Jane Goodall|per] studied chimpanzees in [Tanzania|loc] for decades .
[Swahili|oth] is taught in many schools in [East Africa|loc] .
[Johann Sebastian Bach|per] composed the [Brandenburg Concertos|art] .
The [Prado Museum|bld] in [Madrid|loc] reopened after renovations .
[Uber|org] started testing self-driving cars in [Pittsburgh|loc] .
The [Cuban Missile Crisis|evt] lasted thirteen days .
Millions of people downloaded [Minecraft|prd] in its first year .
[Jesse Owens|per] won four gold medals at the [1936 Olympics|evt] in [Berlin|loc] .
The [Rhine|loc] flows through [Basel|loc] on its way to the sea .
The [Pulitzer Prize|oth] for fiction was announced on Monday .
[Coca-Cola|org] opened a bottling plant near [Lagos|loc] .
The [Mayflower|prd] arrived in [Plymouth|loc] in 1620 .
[Agatha Christie|per] wrote [Murder on the Orient Express|art] in 1934 .
The [World Cup|evt] final was played at the [Maracana Stadium|bld] in [Rio de Janeiro|loc] .
[Marie Curie|per] studied physics at the [University of Paris|org] .
[Pneumonia|oth] can be dangerous for very young children .
[Boeing|org] delivered fewer planes than planned last month .
The [Golden Globe|oth] for best actress went to [Emma Stone|per] .
[Yellowstone National Park|loc] is home to hundreds of geysers .
The [Battle of Waterloo|evt] took place in present-day [Belgium|loc] .
[Microsoft Excel|prd] crashed twice while she was preparing the report .
The [Voyager 1|prd] probe left the solar system in 2012 .
[Frank Lloyd Wright|per] designed [Fallingwater|bld] , a house in [Pennsylvania|loc] .
[The Lord of the Rings|art] was filmed in [New Zealand|loc] .
[Interpol|org] issued a warrant for the suspect .
The [Amazon rainforest|loc] is losing trees at an alarming rate .
[Spanish|oth] is the official language of [Argentina|loc] .
[Muhammad Ali|per] fought [Joe Frazier|per] in [Manila|loc] in 1975 .
The [Oktoberfest|evt] in [Munich|loc] attracts visitors from all over the world .
[Lego|org] reported record profits this year .
The [Hagia Sophia|bld] has stood in [Istanbul|loc] for nearly fifteen centuries .
[Zoom|prd] became popular when offices closed during the pandemic .
[Maya Angelou|per] wrote [I Know Why the Caged Bird Sings|art] in 1969 .
The [Paris Agreement|oth] aims to limit global warming .
[Kofi Annan|per] served as secretary-general of the [United Nations|org] .
The [Panama Canal|loc] connects the [Atlantic|loc] and [Pacific|loc] oceans .
[Dracula|art] was written by [Bram Stoker|per] .
The [Berlin Marathon|evt] is known for its fast and flat course .
Passengers waited for hours at [Charles de Gaulle Airport|bld] after the storm .
The [M1 Abrams|prd] is a heavy tank used by the army .
[Steve Jobs|per] founded [Apple|org] with [Steve Wozniak|per] in 1976 .
[Mexico|loc] will host the summit next spring .
[Asthma|oth] is more common in children who live near busy roads .
The [Metropolitan Museum of Art|bld] reopened its largest gallery .
[Mercedes-Benz|org] moved part of its production to [Hungary|loc] .
The [Vietnam War|evt] divided public opinion in the [United States|loc] .
[Picasso|per] painted [Guernica|art] in 1937 .
The [Rose Bowl Stadium|bld] in [Pasadena|loc] will host the game .
[Ford|org] introduced an electric version of the [F-150|prd] pickup truck .
[Dengue fever|oth] is spreading to new regions as temperatures rise .
The [Nobel Peace Prize|oth] was awarded to [Malala Yousafzai|per] in 2014 .
[Hong Kong|loc] hosted the [Rugby Sevens|evt] tournament in April .
The [Bolshoi Theatre|bld] in [Moscow|loc] staged a new ballet .
[Alexander Fleming|per] discovered penicillin at [St Mary 's Hospital|bld] in [London|loc] .
The [iPad|prd] was introduced in 2010 .
The [Russian Revolution|evt] began in 1917 .
During the [Edinburgh Festival Fringe|evt] , the actor [Tom Hughes|per] performed a one-man version of [Macbeth|art] every night for three weeks .
The new [Nissan Leaf|prd] , built at a factory run by [Nissan|org] in [Sunderland|loc] , goes on sale next month .
Long before the [Cold War|evt] ended , the novel [Doctor Zhivago|art] was already being read in secret by students across the country .
[Greenpeace|org] and the [World Wildlife Fund|org] asked [Shell|org] to stop drilling for oil in the far north .
The painting [Water Lilies|art] by [Claude Monet|per] will be shown at the [Musee de l'Orangerie|bld] until the end of the year .
Pilots say the [Boeing 787|prd] is quieter and more comfortable than older planes on long flights across the ocean .
Tickets for the [Montreux Jazz Festival|evt] sold out within an hour , and hotels around the lake were fully booked for the entire two weeks .
Engineers at [Airbus|org] spent three years redesigning the wings of the [A350|prd] to reduce fuel use on long routes .
The children 's book [Where the Wild Things Are|art] was adapted into a film that many adults also enjoyed .
Shoppers queued overnight outside stores run by [Best Buy|org] to get the new [Nintendo Switch|prd] console .
The [Chinese New Year|evt] parade in [San Francisco|loc] is one of the largest celebrations of its kind outside [Asia|loc] .
The navy retired the aircraft carrier [USS Enterprise|prd] after more than fifty years of service at sea .
Many critics consider [Citizen Kane|art] , directed by [Orson Welles|per] , the greatest film ever made .
The [International Monetary Fund|org] lent money to [Greece|loc] during the debt crisis , and the loan was repaid years later .
"""

# ---------------------------------------------------------------------------
# 2. Chunking (conll2000)
# ---------------------------------------------------------------------------
# conll2000's POS ClassLabel order (no task reads POS tags; the files carry them, like the hub's)
POS_LABELS = "'' # $ ( ) , . : `` CC CD DT EX FW IN JJ JJR JJS MD NN NNP NNPS NNS PDT POS PRP PRP$ RB RBR RBS RP SYM TO UH VB VBD VBG VBN VBP VBZ WDT WP WP$ WRB".split()
CHUNK_LABELS = label_names_of("chunking")

# One sentence per line: [TYPE word/POS ...] is a chunk, bare word/POS is O.
CHUNK_TEXT = """
[NP The/DT city/NN council/NN] [VP approved/VBD] [NP a/DT new/JJ budget/NN] [PP for/IN] [NP public/JJ schools/NNS] [NP last/JJ night/NN] ./.
[NP Shares/NNS] [PP of/IN] [NP the/DT software/NN company/NN] [VP rose/VBD] [NP 4/CD %/NN] [PP after/IN] [NP the/DT earnings/NNS report/NN] ./.
[NP She/PRP] [VP picked/VBD] [PRT up/RP] [NP the/DT children/NNS] [PP from/IN] [NP school/NN] [PP at/IN] [NP noon/NN] ./.
[NP The/DT weather/NN] [VP was/VBD] [ADJP unusually/RB warm/JJ] [PP for/IN] [NP early/JJ March/NNP] ./.
[NP Analysts/NNS] [VP expect/VBP] [NP interest/NN rates/NNS] [VP to/TO remain/VB] [ADJP stable/JJ] [PP through/IN] [NP the/DT end/NN] [PP of/IN] [NP the/DT year/NN] ./.
[NP The/DT museum/NN] [VP will/MD open/VB] [NP a/DT new/JJ exhibit/NN] [PP on/IN] [NP ancient/JJ Egypt/NNP] [NP next/JJ month/NN] ./.
[ADVP However/RB] ,/, [NP the/DT plan/NN] [VP was/VBD rejected/VBN] [PP by/IN] [NP most/JJS voters/NNS] ./.
[NP He/PRP] [VP turned/VBD] [PRT off/RP] [NP the/DT lights/NNS] [SBAR before/IN] [NP he/PRP] [VP left/VBD] [NP the/DT office/NN] ./.
[NP The/DT factory/NN] [VP has/VBZ been/VBN closed/VBN] [PP since/IN] [NP January/NNP] ./.
[NP Many/JJ farmers/NNS] [VP are/VBP] [ADJP worried/JJ] [PP about/IN] [NP the/DT lack/NN] [PP of/IN] [NP rain/NN] ./.
[NP The/DT company/NN] [VP said/VBD] [SBAR that/IN] [NP sales/NNS] [VP fell/VBD] [ADVP sharply/RB] [PP in/IN] [NP the/DT second/JJ quarter/NN] ./.
[NP Our/PRP$ neighbors/NNS] [VP are/VBP moving/VBG] [PP to/TO] [NP a/DT smaller/JJR house/NN] [PP near/IN] [NP the/DT river/NN] ./.
[NP The/DT train/NN] [VP arrived/VBD] [ADVP late/RB] [PP because/IN of/IN] [NP heavy/JJ snow/NN] ./.
[NP The/DT government/NN] [VP plans/VBZ to/TO raise/VB] [NP taxes/NNS] [PP on/IN] [NP tobacco/NN] ./.
[NP Children/NNS] [VP should/MD eat/VB] [NP more/JJR fruit/NN] [CONJP as/RB well/RB as/IN] [NP vegetables/NNS] ./.
[NP The/DT bank/NN] [VP lent/VBD] [NP the/DT small/JJ business/NN] [NP $/$ 50,000/CD] ./.
[NP I/PRP] [VP think/VBP] [SBAR that/IN] [NP the/DT movie/NN] [VP was/VBD] [ADJP too/RB long/JJ] ./.
[INTJ Yes/UH] ,/, [NP we/PRP] [VP can/MD meet/VB] [NP tomorrow/NN] [PP at/IN] [NP the/DT library/NN] ./.
[NP Prices/NNS] [PP for/IN] [NP fresh/JJ vegetables/NNS] [VP have/VBP risen/VBN] [ADVP steadily/RB] [PP over/IN] [NP the/DT past/JJ year/NN] ./.
[NP The/DT mayor/NN] [VP refused/VBD to/TO comment/VB] [PP on/IN] [NP the/DT report/NN] ./.
[NP Workers/NNS] [VP set/VBD] [PRT up/RP] [NP a/DT large/JJ tent/NN] [PP in/IN] [NP the/DT park/NN] ./.
[NP The/DT new/JJ phone/NN] [VP is/VBZ] [ADJP lighter/JJR] [PP than/IN] [NP the/DT old/JJ model/NN] ./.
[SBAR If/IN] [NP the/DT rain/NN] [VP continues/VBZ] ,/, [NP the/DT game/NN] [VP will/MD be/VB canceled/VBN] ./.
[NP The/DT airline/NN] [VP cut/VBD] [NP 300/CD jobs/NNS] [PP in/IN] [NP an/DT effort/NN] [VP to/TO reduce/VB] [NP costs/NNS] ./.
[NP Most/JJS students/NNS] [VP finished/VBD] [NP the/DT exam/NN] [ADVP early/RB] ./.
[NP My/PRP$ sister/NN] [VP works/VBZ] [PP as/IN] [NP a/DT nurse/NN] [PP at/IN] [NP the/DT local/JJ hospital/NN] ./.
[NP The/DT police/NNS] [VP are/VBP looking/VBG] [PP for/IN] [NP a/DT man/NN] [NP who/WP] [VP stole/VBD] [NP a/DT car/NN] [NP yesterday/NN] ./.
[NP Oil/NN prices/NNS] [VP dropped/VBD] [PP to/TO] [NP their/PRP$ lowest/JJS level/NN] [PP in/IN] [NP six/CD months/NNS] ./.
[NP The/DT team/NN] [VP played/VBD] [ADVP well/RB] ,/, but/CC [NP it/PRP] [VP lost/VBD] [NP the/DT final/JJ match/NN] ./.
[NP Scientists/NNS] [VP have/VBP found/VBN] [NP water/NN] [PP on/IN] [NP a/DT distant/JJ planet/NN] ./.
[NP He/PRP] [VP gave/VBD] [PRT up/RP] [NP his/PRP$ seat/NN] [PP to/TO] [NP an/DT elderly/JJ woman/NN] ./.
[NP The/DT report/NN] [VP was/VBD published/VBN] [PP on/IN] [NP Monday/NNP] [PP by/IN] [NP the/DT health/NN ministry/NN] ./.
[NP The/DT store/NN] [VP does/VBZ n't/RB accept/VB] [NP credit/NN cards/NNS] ./.
[NP Investors/NNS] [VP were/VBD] [ADJP nervous/JJ] [SBAR because/IN] [NP the/DT market/NN] [VP had/VBD fallen/VBN] [PP for/IN] [NP five/CD days/NNS] ./.
[NP The/DT chef/NN] [VP added/VBD] [NP a/DT pinch/NN] [PP of/IN] [NP salt/NN] [PP to/TO] [NP the/DT soup/NN] ./.
[NP There/EX] [VP are/VBP] [NP many/JJ reasons/NNS] [VP to/TO visit/VB] [NP the/DT coast/NN] [PP in/IN] [NP autumn/NN] ./.
[NP The/DT children/NNS] [VP ran/VBD] [ADVP outside/RB] [ADVP when/WRB] [NP the/DT bell/NN] [VP rang/VBD] ./.
[NP The/DT company/NN] [VP hired/VBD] [NP 50/CD new/JJ engineers/NNS] [NP this/DT year/NN] ./.
[NP She/PRP] [VP looked/VBD] [ADJP tired/JJ] [PP after/IN] [NP the/DT long/JJ flight/NN] ./.
[NP The/DT price/NN] [PP of/IN] [NP gold/NN] [VP reached/VBD] [NP a/DT record/NN high/NN] [NP this/DT week/NN] ./.
[NP Officials/NNS] [VP said/VBD] [SBAR that/IN] [NP the/DT bridge/NN] [VP would/MD reopen/VB] [PP in/IN] [NP two/CD weeks/NNS] ./.
[NP The/DT students/NNS] [VP handed/VBD] [PRT in/RP] [NP their/PRP$ essays/NNS] [PP on/IN] [NP time/NN] ./.
[NP A/DT strong/JJ earthquake/NN] [VP shook/VBD] [NP the/DT region/NN] [ADVP early/RB] [NP Tuesday/NNP] ./.
[NP The/DT new/JJ law/NN] [VP requires/VBZ] [NP drivers/NNS] [VP to/TO wear/VB] [NP seat/NN belts/NNS] ./.
[NP We/PRP] [VP stayed/VBD] [ADVP home/RB] [SBAR because/IN] [NP it/PRP] [VP was/VBD] [ADJP too/RB cold/JJ] [VP to/TO go/VB] [PRT out/RP] ./.
[NP The/DT committee/NN] [VP will/MD meet/VB] [ADVP again/RB] [PP in/IN] [NP April/NNP] ./.
[NP Most/JJS experts/NNS] [VP believe/VBP] [SBAR that/IN] [NP the/DT economy/NN] [VP will/MD grow/VB] [ADVP slowly/RB] [NP next/JJ year/NN] ./.
[NP The/DT hotel/NN] [VP was/VBD] [ADJP clean/JJ and/CC comfortable/JJ] ,/, but/CC [NP the/DT food/NN] [VP was/VBD] [ADJP expensive/JJ] ./.
[NP He/PRP] [VP has/VBZ lived/VBN] [PP in/IN] [NP the/DT same/JJ apartment/NN] [PP for/IN] [NP twenty/CD years/NNS] ./.
[NP The/DT union/NN] [VP called/VBD] [PRT off/RP] [NP the/DT strike/NN] [PP after/IN] [NP talks/NNS] [PP with/IN] [NP management/NN] ./.
[NP Sales/NNS] [PP of/IN] [NP electric/JJ cars/NNS] [VP doubled/VBD] [PP in/IN] [NP the/DT last/JJ two/CD years/NNS] ./.
[NP The/DT doctor/NN] [VP told/VBD] [NP him/PRP] [VP to/TO rest/VB] [PP for/IN] [NP a/DT week/NN] ./.
[NP The/DT bakery/NN] [PP on/IN] [NP Main/NNP Street/NNP] [VP sells/VBZ] [NP fresh/JJ bread/NN] [NP every/DT morning/NN] ./.
[NP The/DT board/NN] [VP is/VBZ expected/VBN to/TO announce/VB] [NP a/DT new/JJ chief/JJ executive/NN] [ADVP soon/RB] ./.
[NP Tourists/NNS] [VP visit/VBP] [NP the/DT old/JJ town/NN] [ADVP mostly/RB] [PP during/IN] [NP the/DT summer/NN] ./.
[NP The/DT fire/NN] [VP destroyed/VBD] [NP three/CD houses/NNS] [SBAR before/IN] [NP firefighters/NNS] [VP could/MD put/VB] [PRT out/RP] [NP the/DT flames/NNS] ./.
[NP Consumer/NN spending/NN] [VP remained/VBD] [ADJP weak/JJ] [PP in/IN] [NP December/NNP] ./.
[NP I/PRP] [VP need/VBP to/TO buy/VB] [NP a/DT new/JJ pair/NN] [PP of/IN] [NP shoes/NNS] [PP for/IN] [NP the/DT wedding/NN] ./.
[NP The/DT bill/NN] [VP passed/VBD] [PP in/IN] [NP the/DT Senate/NNP] [PP by/IN] [NP a/DT narrow/JJ margin/NN] ./.
[NP The/DT dog/NN] [VP waited/VBD] [ADVP patiently/RB] [PP by/IN] [NP the/DT door/NN] [PP for/IN] [NP its/PRP$ owner/NN] ./.
[NP The/DT company/NN] [VP plans/VBZ to/TO open/VB] [NP ten/CD new/JJ stores/NNS] [PP in/IN] [NP Canada/NNP] [NP next/JJ year/NN] ./.
[NP Her/PRP$ latest/JJS novel/NN] [VP is/VBZ] [ADJP very/RB popular/JJ] [PP with/IN] [NP young/JJ readers/NNS] ./.
[NP The/DT flight/NN] [VP was/VBD canceled/VBN] [SBAR because/IN] [NP the/DT pilot/NN] [VP was/VBD] [ADJP ill/JJ] ./.
[NP Unemployment/NN] [VP fell/VBD] [PP to/TO] [NP 4.2/CD %/NN] [PP in/IN] [NP May/NNP] ./.
[NP They/PRP] [VP cleaned/VBD] [PRT up/RP] [NP the/DT beach/NN] [PP after/IN] [NP the/DT festival/NN] ./.
[NP The/DT manager/NN] [VP asked/VBD] [NP everyone/NN] [VP to/TO arrive/VB] [ADVP early/RB] [PP on/IN] [NP Friday/NNP] ./.
[NP Few/JJ people/NNS] [VP knew/VBD] [SBAR that/IN] [NP the/DT old/JJ theater/NN] [VP would/MD close/VB] ./.
[NP The/DT river/NN] [VP is/VBZ] [ADJP deep/JJ enough/RB] [PP for/IN] [NP large/JJ ships/NNS] ./.
[NP The/DT court/NN] [VP ruled/VBD] [SBAR that/IN] [NP the/DT contract/NN] [VP was/VBD] [ADJP invalid/JJ] ./.
[NP A/DT new/JJ study/NN] [VP shows/VBZ] [SBAR that/IN] [NP regular/JJ exercise/NN] [VP improves/VBZ] [NP sleep/NN] ./.
[NP He/PRP] [VP found/VBD] [PRT out/RP] [NP the/DT truth/NN] [ADVP much/RB later/RB] ./.
[NP The/DT school/NN] [VP bought/VBD] [NP forty/CD laptops/NNS] [PP for/IN] [NP its/PRP$ science/NN classes/NNS] ./.
[NP The/DT storm/NN] [VP knocked/VBD] [PRT down/RP] [NP power/NN lines/NNS] [PP across/IN] [NP the/DT state/NN] ./.
[NP The/DT museum/NN] [VP is/VBZ] [ADJP free/JJ] [PP for/IN] [NP children/NNS] [PP under/IN] [NP twelve/CD] ./.
[NP The/DT recipe/NN] [VP calls/VBZ] [PP for/IN] [NP two/CD cups/NNS] [PP of/IN] [NP flour/NN] ./.
[NP The/DT stock/NN] [VP closed/VBD] [PP at/IN] [NP $/$ 32.50/CD] [PP on/IN] [NP Wednesday/NNP] ./.
[ADVP Fortunately/RB] ,/, [NP nobody/NN] [VP was/VBD hurt/VBN] [PP in/IN] [NP the/DT accident/NN] ./.
[NP The/DT teacher/NN] [VP explained/VBD] [NP the/DT rules/NNS] [ADVP clearly/RB] [PP before/IN] [NP the/DT game/NN] ./.
[NP The/DT new/JJ bridge/NN] [VP will/MD cost/VB] [NP $/$ 2/CD billion/CD] ./.
[NP The/DT hikers/NNS] [VP reached/VBD] [NP the/DT top/NN] [PP of/IN] [NP the/DT mountain/NN] [PP before/IN] [NP sunset/NN] ./.
[NP My/PRP$ brother/NN] [VP is/VBZ learning/VBG to/TO play/VB] [NP the/DT guitar/NN] ./.
[NP The/DT project/NN] [VP was/VBD finished/VBN] [ADVP ahead/RB] [PP of/IN] [NP schedule/NN] ./.
[NP The/DT restaurant/NN] [VP was/VBD] [ADJP full/JJ] ,/, and/CC [NP we/PRP] [VP had/VBD to/TO wait/VB] [PP for/IN] [NP an/DT hour/NN] ./.
[NP The/DT agency/NN] [VP warned/VBD] [SBAR that/IN] [NP food/NN prices/NNS] [VP could/MD rise/VB] [ADVP further/RB] ./.
[NP The/DT cat/NN] [VP jumped/VBD] [PP onto/IN] [NP the/DT kitchen/NN table/NN] ./.
[NP The/DT workers/NNS] [VP demanded/VBD] [NP higher/JJR wages/NNS] [CONJP rather/RB than/IN] [NP longer/JJR holidays/NNS] ./.
[NP Rain/NN] [VP is/VBZ expected/VBN] [PP in/IN] [NP the/DT north/NN] [PP on/IN] [NP Sunday/NNP] ./.
[NP The/DT author/NN] [VP signed/VBD] [NP copies/NNS] [PP of/IN] [NP her/PRP$ book/NN] [PP at/IN] [NP a/DT small/JJ shop/NN] ./.
[NP The/DT government/NN] [VP will/MD hand/VB] [PRT out/RP] [NP free/JJ masks/NNS] [PP to/TO] [NP all/DT residents/NNS] ./.
[NP He/PRP] [VP was/VBD] [ADJP proud/JJ] [PP of/IN] [NP his/PRP$ daughter/NN] ./.
[NP The/DT central/JJ bank/NN] [VP left/VBD] [NP interest/NN rates/NNS] [ADJP unchanged/JJ] [PP on/IN] [NP Thursday/NNP] ./.
[NP The/DT village/NN] [VP has/VBZ] [NP one/CD school/NN] ,/, [NP one/CD church/NN] and/CC [NP two/CD small/JJ shops/NNS] ./.
[NP She/PRP] [VP wrote/VBD] [PRT down/RP] [NP the/DT address/NN] [SBAR before/IN] [NP she/PRP] [VP forgot/VBD] [NP it/PRP] ./.
[NP The/DT hospital/NN] [VP is/VBZ looking/VBG] [PP for/IN] [NP volunteers/NNS] [VP to/TO help/VB] [PP with/IN] [NP meals/NNS] ./.
[NP Exports/NNS] [VP rose/VBD] [NP 8/CD %/NN] [PP in/IN] [NP the/DT first/JJ half/NN] [PP of/IN] [NP the/DT year/NN] ./.
[NP The/DT library/NN] [VP is/VBZ] [ADJP open/JJ] [PP until/IN] [NP nine/CD] [PP on/IN] [NP weekdays/NNS] ./.
[NP The/DT soldiers/NNS] [VP carried/VBD] [NP supplies/NNS] [PP across/IN] [NP the/DT border/NN] [PP at/IN] [NP night/NN] ./.
[SBAR Although/IN] [NP the/DT tickets/NNS] [VP were/VBD] [ADJP expensive/JJ] ,/, [NP the/DT concert/NN] [VP sold/VBD] [PRT out/RP] [ADVP quickly/RB] ./.
[NP The/DT engineers/NNS] [VP are/VBP testing/VBG] [NP a/DT new/JJ engine/NN] [PP for/IN] [NP small/JJ aircraft/NNS] ./.
[NP He/PRP] [VP speaks/VBZ] [NP three/CD languages/NNS] [ADVP fluently/RB] ./.
[NP The/DT senator/NN] [VP voted/VBD] [PP against/IN] [NP the/DT proposal/NN] [PP for/IN] [NP the/DT second/JJ time/NN] ./.
[NP The/DT children/NNS] [VP were/VBD] [ADJP excited/JJ] [PP about/IN] [NP the/DT trip/NN] [PP to/TO] [NP the/DT zoo/NN] ./.
[NP The/DT company/NN] [VP reported/VBD] [NP a/DT net/JJ loss/NN] [PP of/IN] [NP $/$ 12/CD million/CD] [PP for/IN] [NP the/DT quarter/NN] ./.
[INTJ Oh/UH] ,/, [NP I/PRP] [VP forgot/VBD] [NP my/PRP$ keys/NNS] [PP at/IN] [NP the/DT office/NN] ./.
[NP The/DT farmers/NNS] [VP sold/VBD] [NP most/JJS] [PP of/IN] [NP their/PRP$ apples/NNS] [PP at/IN] [NP the/DT market/NN] ./.
[NP The/DT tower/NN] [VP was/VBD built/VBN] [PP in/IN] [NP 1889/CD] [PP for/IN] [NP a/DT world/NN fair/NN] ./.
[NP Doctors/NNS] [VP warn/VBP] [SBAR that/IN] [NP sugary/JJ drinks/NNS] [VP can/MD damage/VB] [NP teeth/NNS] ./.
[NP The/DT shop/NN] [VP stays/VBZ] [ADJP open/JJ] [ADVP late/RB] [PP on/IN] [NP Saturdays/NNPS] ./.
[NP The/DT new/JJ manager/NN] [VP turned/VBD] [PRT down/RP] [NP the/DT offer/NN] [PP from/IN] [NP a/DT rival/JJ firm/NN] ./.
[NP The/DT price/NN] [PP of/IN] [NP bread/NN] [VP has/VBZ doubled/VBN] [PP since/IN] [NP 2019/CD] ./.
[NP The/DT ship/NN] [VP sailed/VBD] [PP from/IN] [NP Lisbon/NNP] [PP to/TO] [NP Brazil/NNP] [PP in/IN] [NP three/CD weeks/NNS] ./.
[NP It/PRP] [VP is/VBZ] [ADJP important/JJ] [VP to/TO drink/VB] [NP enough/JJ water/NN] [PP in/IN] [NP hot/JJ weather/NN] ./.
[NP The/DT committee/NN] [VP has/VBZ n't/RB decided/VBN] [SBAR whether/IN] [NP the/DT event/NN] [VP will/MD take/VB] [NP place/NN] ./.
[NP The/DT actor/NN] [VP thanked/VBD] [NP his/PRP$ family/NN] [PP for/IN] [NP their/PRP$ support/NN] ./.
[NP Car/NN sales/NNS] [VP slowed/VBD] [ADVP considerably/RB] [PP in/IN] [NP the/DT autumn/NN] ./.
[NP The/DT volunteers/NNS] [VP gave/VBD] [PRT away/RP] [NP hundreds/NNS] [PP of/IN] [NP books/NNS] ./.
[NP The/DT kitchen/NN] [VP was/VBD] [ADJP small/JJ but/CC bright/JJ] ./.
[NP The/DT minister/NN] [VP said/VBD] [SBAR that/IN] [NP the/DT talks/NNS] [VP were/VBD] [ADJP very/RB useful/JJ] ./.
[NP We/PRP] [VP watched/VBD] [NP the/DT fireworks/NNS] [PP from/IN] [NP the/DT roof/NN] [PP of/IN] [NP our/PRP$ building/NN] ./.
[NP The/DT police/NNS] [VP arrested/VBD] [NP two/CD men/NNS] [PP in/IN] [NP connection/NN] [PP with/IN] [NP the/DT robbery/NN] ./.
[NP The/DT meeting/NN] [VP ended/VBD] [ADVP abruptly/RB] [ADVP when/WRB] [NP the/DT power/NN] [VP went/VBD] [PRT out/RP] ./.
[NP The/DT store/NN] [VP offers/VBZ] [NP a/DT discount/NN] [PP to/TO] [NP students/NNS] [CONJP as/RB well/RB as/IN] [NP teachers/NNS] ./.
[NP Heavy/JJ traffic/NN] [VP delayed/VBD] [NP thousands/NNS] [PP of/IN] [NP commuters/NNS] [NP this/DT morning/NN] ./.
[NP She/PRP] [VP is/VBZ] [ADJP afraid/JJ] [PP of/IN] [NP spiders/NNS] ./.
[NP The/DT firm/NN] [VP will/MD lay/VB] [PRT off/RP] [NP 200/CD workers/NNS] [PP at/IN] [NP its/PRP$ plant/NN] [PP in/IN] [NP Ohio/NNP] ./.
[NP The/DT garden/NN] [VP looks/VBZ] [ADJP beautiful/JJ] [PP in/IN] [NP spring/NN] ./.
[NP Many/JJ families/NNS] [VP struggle/VBP to/TO pay/VB] [NP their/PRP$ rent/NN] [PP in/IN] [NP big/JJ cities/NNS] ./.
[NP The/DT baby/NN] [VP fell/VBD] [ADJP asleep/JJ] [PP in/IN] [NP the/DT car/NN] ./.
[NP The/DT lawyer/NN] [VP argued/VBD] [SBAR that/IN] [NP her/PRP$ client/NN] [VP was/VBD] [ADJP innocent/JJ] ./.
[NP The/DT town/NN] [VP celebrated/VBD] [NP its/PRP$ 300th/JJ anniversary/NN] [PP with/IN] [NP a/DT parade/NN] ./.
[NP He/PRP] [VP looked/VBD] [PRT up/RP] [NP the/DT word/NN] [PP in/IN] [NP a/DT dictionary/NN] ./.
[NP The/DT plane/NN] [VP landed/VBD] [ADVP safely/RB] [PP despite/IN] [NP strong/JJ winds/NNS] ./.
[NP Retail/JJ sales/NNS] [VP were/VBD] [ADJP flat/JJ] [PP in/IN] [NP October/NNP] ,/, [NP the/DT report/NN] [VP said/VBD] ./.
[NP The/DT students/NNS] [NP who/WP] [VP passed/VBD] [NP the/DT test/NN] [VP will/MD receive/VB] [NP a/DT certificate/NN] ./.
[NP The/DT company/NN] [VP is/VBZ] [ADJP likely/JJ] [VP to/TO miss/VB] [NP its/PRP$ sales/NNS target/NN] ./.
[NP Our/PRP$ train/NN] [VP leaves/VBZ] [PP at/IN] [NP 7:45/CD] [NP tomorrow/NN morning/NN] ./.
[NP The/DT river/NN] [VP rose/VBD] [ADVP quickly/RB] [PP after/IN] [NP days/NNS] [PP of/IN] [NP heavy/JJ rain/NN] ./.
[NP The/DT professor/NN] [VP pointed/VBD] [PRT out/RP] [NP several/JJ errors/NNS] [PP in/IN] [NP the/DT paper/NN] ./.
[NP A/DT small/JJ boat/NN] [VP was/VBD found/VBN] [ADVP nearby/RB] [PP on/IN] [NP Saturday/NNP] ./.
[NP The/DT president/NN] [VP will/MD visit/VB] [NP Japan/NNP] and/CC [NP Korea/NNP] [PP in/IN] [NP November/NNP] ./.
[NP The/DT soup/NN] [VP tastes/VBZ] [ADJP better/JJR] [ADVP when/WRB] [NP it/PRP] [VP is/VBZ] [ADJP hot/JJ] ./.
[NP Farmers/NNS] [VP hope/VBP] [SBAR that/IN] [NP the/DT rain/NN] [VP will/MD arrive/VB] [ADVP soon/RB] ./.
[NP The/DT team/NN] [VP has/VBZ won/VBN] [NP five/CD games/NNS] [PP in/IN] [NP a/DT row/NN] ./.
[NP The/DT old/JJ factory/NN] [VP was/VBD turned/VBN] [PP into/IN] [NP apartments/NNS] ./.
[NP She/PRP] [VP filled/VBD] [PRT out/RP] [NP the/DT form/NN] and/CC [VP sent/VBD] [NP it/PRP] [PP by/IN] [NP mail/NN] ./.
[NP The/DT weather/NN] [VP turned/VBD] [ADJP cold/JJ] [ADVP suddenly/RB] [PP in/IN] [NP the/DT evening/NN] ./.
[NP The/DT airline/NN] [VP expects/VBZ] [NP passenger/NN numbers/NNS] [VP to/TO grow/VB] [PP by/IN] [NP 10/CD %/NN] ./.
[NP Nobody/NN] [VP knows/VBZ] [SBAR whether/IN] [NP the/DT shop/NN] [VP will/MD reopen/VB] ./.
[NP The/DT show/NN] [VP was/VBD] [ADJP so/RB funny/JJ] [SBAR that/IN] [NP we/PRP] [VP laughed/VBD] [PP for/IN] [NP hours/NNS] ./.
[NP The/DT company/NN] [VP bought/VBD] [NP a/DT small/JJ rival/NN] [PP for/IN] [NP $/$ 80/CD million/CD] [PP in/IN] [NP cash/NN] ./.
[NP Volunteers/NNS] [VP planted/VBD] [NP 500/CD trees/NNS] [PP along/IN] [NP the/DT highway/NN] ./.
[NP The/DT museum/NN] [VP was/VBD] [ADJP crowded/JJ] [PP with/IN] [NP tourists/NNS] [NP all/DT day/NN] ./.
[NP I/PRP] [VP will/MD call/VB] [NP you/PRP] [ADVP back/RB] [PP after/IN] [NP lunch/NN] ./.
[NP The/DT storm/NN] [VP forced/VBD] [NP schools/NNS] [VP to/TO close/VB] [PP for/IN] [NP two/CD days/NNS] ./.
[NP The/DT children/NNS] [VP grew/VBD] [PRT up/RP] [PP on/IN] [NP a/DT farm/NN] [PP near/IN] [NP the/DT coast/NN] ./.
[NP The/DT hotel/NN] [VP is/VBZ] [ADJP close/JJ] [PP to/TO] [NP the/DT beach/NN] ./.
[NP The/DT bank/NN] [VP raised/VBD] [NP its/PRP$ forecast/NN] [PP for/IN] [NP economic/JJ growth/NN] [NP this/DT year/NN] ./.
[ADVP Meanwhile/RB] ,/, [NP prices/NNS] [PP at/IN] [NP the/DT pump/NN] [VP continued/VBD to/TO climb/VB] ./.
[NP The/DT witness/NN] [VP said/VBD] [SBAR that/IN] [NP she/PRP] [VP saw/VBD] [NP a/DT red/JJ car/NN] [PP near/IN] [NP the/DT bank/NN] ./.
[NP My/PRP$ parents/NNS] [VP are/VBP] [ADJP happy/JJ] [PP with/IN] [NP their/PRP$ new/JJ home/NN] ./.
[NP The/DT company/NN] [VP has/VBZ] [NP offices/NNS] [PP in/IN] [NP London/NNP] ,/, [NP Paris/NNP] and/CC [NP Berlin/NNP] ./.
[NP The/DT referee/NN] [VP stopped/VBD] [NP the/DT match/NN] [SBAR because/IN] [NP the/DT field/NN] [VP was/VBD] [ADJP too/RB wet/JJ] ./.
[NP We/PRP] [VP ran/VBD] [PRT out/RP] [PP of/IN] [NP milk/NN] [PP on/IN] [NP Sunday/NNP] ./.
[NP The/DT new/JJ system/NN] [VP makes/VBZ] [NP payments/NNS] [ADJP faster/JJR and/CC safer/JJR] ./.
[NP The/DT governor/NN] [VP signed/VBD] [NP the/DT bill/NN] [PP into/IN] [NP law/NN] [PP on/IN] [NP Tuesday/NNP] ./.
[NP The/DT air/NN] [PP in/IN] [NP the/DT city/NN] [VP is/VBZ] [ADJP cleaner/JJR] [ADVP now/RB] ./.
[NP The/DT team/NN] [VP will/MD travel/VB] [PP to/TO] [NP Spain/NNP] [PP for/IN] [NP a/DT training/NN camp/NN] ./.
[NP The/DT singer/NN] [VP canceled/VBD] [NP her/PRP$ tour/NN] [SBAR after/IN] [NP she/PRP] [VP injured/VBD] [NP her/PRP$ knee/NN] ./.
[NP The/DT bus/NN] [VP broke/VBD] [PRT down/RP] [PP on/IN] [NP the/DT way/NN] [PP to/TO] [NP the/DT airport/NN] ./.
[NP Local/JJ residents/NNS] [VP complained/VBD] [PP about/IN] [NP the/DT noise/NN] [PP from/IN] [NP the/DT new/JJ bar/NN] ./.
[NP Demand/NN] [PP for/IN] [NP housing/NN] [VP remains/VBZ] [ADJP strong/JJ] [PP in/IN] [NP the/DT suburbs/NNS] ./.
[NP The/DT team/NN] [VP is/VBZ] [ADJP confident/JJ] [SBAR that/IN] [NP it/PRP] [VP can/MD win/VB] [NP the/DT title/NN] ./.
[NP She/PRP] [VP read/VBD] [NP the/DT letter/NN] [ADVP twice/RB] [SBAR before/IN] [NP she/PRP] [VP answered/VBD] [NP it/PRP] ./.
[NP The/DT company/NN] [VP will/MD pay/VB] [NP a/DT dividend/NN] [PP of/IN] [NP 25/CD cents/NNS] [NP a/DT share/NN] ./.
[NP The/DT nurse/NN] [VP checked/VBD] [NP the/DT patient/NN 's/POS] [NP temperature/NN] [ADVP again/RB] ./.
[NP The/DT city/NN 's/POS] [NP main/JJ library/NN] [VP will/MD close/VB] [PP for/IN] [NP repairs/NNS] ./.
[NP The/DT explorers/NNS] [VP set/VBD] [PRT off/RP] [PP at/IN] [NP dawn/NN] [PP with/IN] [NP enough/JJ food/NN] [PP for/IN] [NP a/DT week/NN] ./.
[NP The/DT shop/NN] [VP sells/VBZ] [NP toys/NNS] [NP that/WDT] [VP are/VBP made/VBN] [PP from/IN] [NP wood/NN] ./.
[NP The/DT population/NN] [PP of/IN] [NP the/DT town/NN] [VP has/VBZ grown/VBN] [ADVP rapidly/RB] ./.
[SBAR While/IN] [NP the/DT economy/NN] [VP is/VBZ growing/VBG] ,/, [NP wages/NNS] [VP remain/VBP] [ADJP low/JJ] ./.
[NP The/DT teacher/NN] [VP was/VBD] [ADJP pleased/JJ] [PP with/IN] [NP the/DT results/NNS] [PP of/IN] [NP the/DT test/NN] ./.
[NP The/DT company/NN] [VP took/VBD] [PRT over/RP] [NP a/DT chain/NN] [PP of/IN] [NP hotels/NNS] [PP in/IN] [NP Asia/NNP] ./.
[NP Rents/NNS] [VP have/VBP risen/VBN] [ADVP sharply/RB] [PP in/IN] [NP the/DT capital/NN] ./.
[ADVP Later/RB] ,/, [NP the/DT family/NN] [VP moved/VBD] [PP to/TO] [NP a/DT quiet/JJ town/NN] [PP in/IN] [NP the/DT mountains/NNS] ./.
[SBAR Although/IN] [NP the/DT company/NN] [VP reported/VBD] [NP strong/JJ sales/NNS] [PP in/IN] [NP Europe/NNP] ,/, [NP its/PRP$ profits/NNS] [VP fell/VBD] [SBAR because/IN] [NP costs/NNS] [PP in/IN] [NP Asia/NNP] [VP rose/VBD] [PP by/IN] [NP 15/CD %/NN] ./.
[NP The/DT workers/NNS] [VP picked/VBD] [PRT up/RP] [NP their/PRP$ tools/NNS] ,/, [VP cleaned/VBD] [PRT up/RP] [NP the/DT site/NN] and/CC [VP went/VBD] [ADVP home/RB] [SBAR before/IN] [NP the/DT storm/NN] [VP reached/VBD] [NP the/DT town/NN] ./.
[NP The/DT mayor/NN] [VP promised/VBD] [SBAR that/IN] [NP the/DT city/NN] [VP would/MD build/VB] [NP more/JJR affordable/JJ homes/NNS] [PP for/IN] [NP young/JJ families/NNS] [SBAR if/IN] [NP voters/NNS] [VP approved/VBD] [NP the/DT new/JJ tax/NN] [PP in/IN] [NP November/NNP] ./.
[NP She/PRP] [VP turned/VBD] [PRT down/RP] [NP the/DT job/NN] [SBAR because/IN] [NP the/DT salary/NN] [VP was/VBD] [ADJP low/JJ] and/CC [NP the/DT daily/JJ commute/NN] [VP would/MD have/VB taken/VBN] [NP two/CD hours/NNS] ./.
[NP The/DT museum/NN] [VP is/VBZ raising/VBG] [NP money/NN] [VP to/TO restore/VB] [NP a/DT large/JJ collection/NN] [PP of/IN] [NP old/JJ maps/NNS] [NP that/WDT] [VP were/VBD damaged/VBN] [PP in/IN] [NP a/DT flood/NN] [NP last/JJ spring/NN] ./.
[SBAR Unless/IN] [NP the/DT two/CD sides/NNS] [VP reach/VBP] [NP an/DT agreement/NN] [PP by/IN] [NP Friday/NNP] ,/, [NP the/DT drivers/NNS] [VP will/MD walk/VB] [PRT out/RP] [PP on/IN] [NP Monday/NNP] ./.
[INTJ Well/UH] ,/, [NP the/DT film/NN] [VP was/VBD] [ADJP long/JJ] ,/, but/CC [NP the/DT ending/NN] [VP was/VBD] [ADJP very/RB moving/JJ] ./.
[NP The/DT farmers/NNS] [VP brought/VBD] [PRT in/RP] [NP the/DT harvest/NN] [ADVP early/RB] [SBAR because/IN] [NP forecasters/NNS] [VP had/VBD warned/VBN] [PP of/IN] [NP a/DT long/JJ period/NN] [PP of/IN] [NP heavy/JJ rain/NN] ./.
[NP The/DT young/JJ programmer/NN] [VP was/VBD] [ADJP eager/JJ] [VP to/TO prove/VB] [SBAR that/IN] [NP her/PRP$ simple/JJ design/NN] [VP could/MD handle/VB] [NP millions/NNS] [PP of/IN] [NP users/NNS] ./.
[NP The/DT old/JJ man/NN] [VP sat/VBD] [PRT down/RP] [PP on/IN] [NP a/DT bench/NN] [PP near/IN] [NP the/DT fountain/NN] and/CC [VP fed/VBD] [NP the/DT pigeons/NNS] [PP until/IN] [NP dark/NN] ./.
"""

# ---------------------------------------------------------------------------
# 3. Sentiment (stanfordnlp/sst2): "+" positive (1), "-" negative (0)
# ---------------------------------------------------------------------------
SENTIMENT_LABELS = label_names_of("sentiment")
SENTIMENT_TEXT = """
+ a warm , funny and beautifully acted film about friendship .
- a dull , lifeless movie with nothing to say .
+ one of the most moving movies i have seen in years .
- the plot makes no sense and the acting is terrible .
+ the performances are terrific , especially the young lead .
- one of the worst films of the year .
+ a smart , touching comedy that earns every laugh .
- boring .
+ gorgeous to look at and a joy to watch .
- a tedious mess that goes on far too long .
+ an absolute delight from start to finish .
- the jokes fall flat and the characters are annoying .
+ the director has made a thrilling , confident debut .
- an ugly , pointless film .
+ it 's a wonderful story , told with great heart and humor .
- the script is lazy and the dialogue is painful to hear .
+ brilliant .
- i wanted to leave after twenty minutes .
+ a rich and rewarding experience .
- a predictable and forgettable thriller .
+ the cast is excellent , and the script is sharp and clever .
- the movie is slow , confusing and badly edited .
+ a lovely , charming film that will leave you smiling .
- a waste of a talented cast .
+ this is a powerful and honest look at a family in crisis .
- it 's a cheap , silly sequel that nobody asked for .
+ the best animated film of the year .
- the story is stupid and the ending is even worse .
+ funny , sweet and surprisingly wise .
- a loud , messy action film with no heart .
+ an exciting adventure with spectacular action scenes .
- the performances are wooden and the pacing is awful .
+ a beautifully made movie that deserves a wide audience .
- painfully unfunny .
+ the music is lovely and the photography is stunning .
- a bland and boring romance .
+ a moving tribute to the courage of ordinary people .
- the director seems to have no idea what he wants to say .
+ engaging , entertaining and often hilarious .
- a disappointing film that never comes to life .
+ she gives a remarkable performance that lights up every scene .
- the special effects look cheap and the story is a mess .
+ a clever thriller that keeps you guessing until the very end .
- too long , too loud and too stupid .
+ the film is a triumph of style and imagination .
- a dreary , depressing drama with no redeeming qualities .
+ it 's the kind of movie that makes you fall in love with cinema again .
- the characters are flat and the plot is full of holes .
+ a heartfelt and beautifully acted drama .
- it 's a tired , lazy comedy that recycles old jokes .
+ thoroughly enjoyable .
- an awful movie .
+ a fresh , funny and original comedy .
- the film is so dull that i almost fell asleep .
+ the story is gripping and the ending is perfect .
- a clumsy and pretentious mess .
+ an inspiring film about never giving up .
- the acting is stiff and the writing is worse .
+ a delightful family film that children and parents will both enjoy .
- a sad , sloppy excuse for a horror movie .
+ the dialogue is witty and the characters are easy to love .
- nothing in this movie works .
+ a masterpiece of quiet beauty .
- a tiresome and empty film .
+ it 's smart , stylish and a lot of fun .
- the songs are forgettable and the dancing is clumsy .
+ one of the year 's best films .
- an irritating film full of unpleasant characters .
+ the actors have wonderful chemistry together .
- the movie wastes its interesting idea on a boring plot .
+ a touching and often funny story about growing old .
- a mediocre thriller with no thrills at all .
+ visually stunning and emotionally satisfying .
- the humor is crude and the story is worse .
+ a gem of a movie .
- unbearably slow and completely pointless .
+ the documentary is fascinating , informative and deeply moving .
- a confused , poorly made film .
+ a great cast makes this charming romance a pleasure to watch .
- it 's hard to care about any of these boring people .
+ an intelligent and thoughtful film that respects its audience .
- the sequel is a lazy copy of the original .
+ a sweet , gentle comedy with a big heart .
- a long , dull and joyless experience .
+ the battle scenes are breathtaking .
- the dialogue is awkward and the acting is even more awkward .
+ an unforgettable performance from a gifted actor .
- a terrible script sinks this movie .
+ a bold , exciting and completely original vision .
- the film is a complete failure .
+ i laughed from the opening scene to the final credits .
- a cold and lifeless adaptation of a great book .
+ a smart script and strong performances make this a winner .
- the action scenes are badly shot and hard to follow .
+ an uplifting story told with warmth and skill .
- a silly , shallow and annoying comedy .
+ the film 's humor is clever and its heart is sincere .
- i have never been so bored in a theater .
+ wonderfully entertaining .
- the twist is obvious from the very first scene .
+ a stylish and suspenseful mystery with a terrific twist .
- a depressing and ugly film that goes nowhere .
+ beautifully written and superbly acted .
- the cast looks bored , and you will be too .
+ the kids in the cast are adorable and genuinely funny .
- an embarrassing mess .
+ a moving and memorable portrait of a great artist .
- the movie is poorly written , poorly acted and poorly directed .
+ it 's a rare sequel that is even better than the original .
- a flat , forgettable comedy .
+ a joyful celebration of music and friendship .
- the story drags and the jokes never land .
+ the film succeeds thanks to its honest writing and fine acting .
- a bloated and boring epic .
+ an entertaining ride with plenty of laughs .
- this film is a tedious chore to sit through .
+ an elegant , graceful film that stays with you long after it ends .
- the lead actor gives a weak and lifeless performance .
+ the best thing about the movie is its wonderful sense of humor .
- a horrible movie that should never have been made .
+ a charming and clever fairy tale for all ages .
- the plot is thin and the characters are even thinner .
+ a thoughtful drama with several outstanding performances .
- a dumb action movie with terrible dialogue .
+ smart , sexy and very funny .
- the film tries hard to be funny but fails every time .
+ the animation is gorgeous and the story is full of heart .
- a muddled and tiresome mystery .
+ a satisfying and beautifully paced thriller .
- it 's a dull and predictable story .
+ this lively comedy is a pure pleasure .
- the music is annoying and the sound is awful .
+ the lead actor is superb as a man trying to win back his family .
- a charmless , witless romantic comedy .
+ an impressive , ambitious and deeply human film .
- the ending is a huge letdown .
+ a fun , fast-paced action movie that never lets up .
- a pointless remake that adds nothing new .
+ a touching love story with real emotional power .
- the pacing is sluggish and the story is thin .
+ a remarkable achievement .
- a disappointing waste of time .
+ the soundtrack is fantastic and the dancing is even better .
- this movie is a total bore .
+ a witty and warm look at life in a small town .
- the actors seem lost in a messy and confusing script .
+ an excellent film that deserves every award it gets .
- an unpleasant , mean-spirited comedy .
+ it 's hard not to be moved by this sincere and beautiful film .
- the film feels like a long and boring lecture .
+ the script is clever , the jokes are fresh and the cast is perfect .
- a lazy , uninspired sequel .
+ an enchanting film full of magic and wonder .
- the horror scenes are more silly than scary .
+ a powerful drama with a great message .
- the movie is ruined by bad acting and worse writing .
+ one of the funniest comedies in recent memory .
- a weak and forgettable film .
+ a gripping true story , brilliantly told .
- a shallow and tiresome drama that never finds its story .
+ the movie is a pleasant surprise , funny and full of life .
- the characters are so unlikable that you stop caring .
+ a sharp and entertaining satire .
- a dreadful film .
+ the whole family will love it .
- the jokes are old , the plot is stale and the acting is bland .
+ a tender , wise and wonderfully acted film .
- an incoherent mess with terrible special effects .
+ an engrossing and handsome historical epic .
- the film is dull , heavy and far too long .
+ the performances are strong and the direction is confident .
- a boring , badly acted drama .
+ a beautiful film .
- this comedy is simply not funny .
+ highly recommended for anyone who loves a good mystery .
- the director 's worst film yet .
+ the characters feel real and their problems matter .
- a frustrating , empty movie .
+ an absorbing , intelligent and richly rewarding drama .
- the script is full of cliches and the cast looks tired .
+ the final scene is simply perfect .
- a miserable experience .
+ a refreshing and delightful romantic comedy .
- the story is silly and the performances are worse .
"""

# ---------------------------------------------------------------------------
# 4. Commonsense QA (tau/commonsense_qa)
#    (question, question_concept, correct answer, [4 distractors])
# ---------------------------------------------------------------------------
# One question per line of data/sources/commonsense.tsv: question, concept, answer, four distractors.
CQA_SOURCE = HERE / "sources" / "commonsense.tsv"


# ---------------------------------------------------------------------------
# Parsing and writing
# ---------------------------------------------------------------------------
_NER_RE = re.compile(r"\[([^\]|]+)\|(\w+)\]|(\S+)")
_CHUNK_RE = re.compile(r"\[([A-Z]+) ([^\]]+)\]|(\S+)")


def _lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.strip().splitlines() if ln.strip()]


def parse_ner(line: str) -> tuple[list[str], list[int]]:
    tokens: list[str] = []
    tags: list[int] = []
    prev_code = None
    for m in _NER_RE.finditer(line):
        if m.group(3) is not None:
            tokens.append(m.group(3))
            tags.append(0)
            prev_code = None
            continue
        words, code = m.group(1).split(), m.group(2)
        assert code in NER_CODES, (code, line)
        assert prev_code != code, f"adjacent same-type entities would merge: {line}"
        tokens.extend(words)
        tags.extend([NER_CODES[code]] * len(words))
        prev_code = code
    return tokens, tags


def _split_tok(tok: str) -> tuple[str, str]:
    word, pos = tok.rsplit("/", 1)
    assert word and pos in POS_LABELS, (tok,)
    return word, pos


def parse_chunk(line: str) -> tuple[list[str], list[int], list[int]]:
    tokens: list[str] = []
    pos_ids: list[int] = []
    chunk_ids: list[int] = []
    for m in _CHUNK_RE.finditer(line):
        if m.group(3) is not None:
            items = [(m.group(3), "O")]
        else:
            ctype = m.group(1)
            toks = m.group(2).split()
            items = [(t, ("B-" if i == 0 else "I-") + ctype) for i, t in enumerate(toks)]
        for tok, chunk in items:
            word, pos = _split_tok(tok)
            assert chunk in CHUNK_LABELS, (chunk, line)
            tokens.append(word)
            pos_ids.append(POS_LABELS.index(pos))
            chunk_ids.append(CHUNK_LABELS.index(chunk))
    return tokens, pos_ids, chunk_ids


def _alternate(items: list) -> tuple[list, list]:
    return items[0::2], items[1::2]


def _write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def build_ner() -> dict[str, list[dict]]:
    parsed = [parse_ner(ln) for ln in _lines(NER_TEXT)]
    out = {}
    for name, part in zip(("train", "test"), _alternate(parsed)):
        out[name] = [{"id": str(i), "tokens": t, "ner_tags": g} for i, (t, g) in enumerate(part)]
    return out


def build_chunking() -> dict[str, list[dict]]:
    parsed = [parse_chunk(ln) for ln in _lines(CHUNK_TEXT)]
    out = {}
    for name, part in zip(("train", "test"), _alternate(parsed)):
        out[name] = [{"id": str(i), "tokens": t, "pos_tags": p, "chunk_tags": c} for i, (t, p, c) in enumerate(part)]
    return out


def build_sentiment() -> dict[str, list[dict]]:
    items = []
    for ln in _lines(SENTIMENT_TEXT):
        sign, text = ln[0], ln[1:].strip()
        assert sign in "+-", ln
        # SST-2 sentences are lower-case, tokenised, and end with a space.
        items.append((text + " ", SENTIMENT_LABELS.index("positive" if sign == "+" else "negative")))
    # The text alternates positive/negative, so split by pairs to keep balance.
    train = [it for i, it in enumerate(items) if (i // 2) % 2 == 0]
    validation = [it for i, it in enumerate(items) if (i // 2) % 2 == 1]
    out = {}
    for name, part in (("train", train), ("validation", validation)):
        out[name] = [{"idx": i, "sentence": s, "label": y} for i, (s, y) in enumerate(part)]
    return out


def cqa_items() -> list[tuple[str, str, str, list[str]]]:
    rows = [line.split("\t") for line in _lines(CQA_SOURCE.read_text(encoding="utf-8")) if not line.startswith("#")]
    assert all(len(row) == 7 for row in rows), [row for row in rows if len(row) != 7][:1]
    return [(question, concept, answer, distractors) for question, concept, answer, *distractors in rows]


def build_commonsense() -> dict[str, list[dict]]:
    labels = ["A", "B", "C", "D", "E"]
    out = {}
    for split_no, (name, part) in enumerate(zip(("train", "validation"), _alternate(cqa_items()))):
        # Balanced answer positions, in a fixed pseudo-random order.
        positions = [i % 5 for i in range(len(part))]
        random.Random(1234 + split_no).shuffle(positions)
        rows = []
        for (question, concept, answer, distractors), pos in zip(part, positions):
            assert len(distractors) == 4 and answer not in distractors, question
            assert concept.lower() in question.lower(), (concept, question)
            texts = list(distractors)
            texts.insert(pos, answer)
            rows.append(
                {
                    "id": hashlib.md5(question.encode("utf-8")).hexdigest(),
                    "question": question,
                    "question_concept": concept,
                    "choices": {"label": list(labels), "text": texts},
                    "answerKey": labels[pos],
                }
            )
        out[name] = rows
    return out


BUILDERS = {
    "ner": build_ner,
    "chunking": build_chunking,
    "sentiment": build_sentiment,
    "commonsense": build_commonsense,
}


def main(out: Path = HERE) -> None:
    """Write every task's splits under `out` (the repository's data/ by default)."""
    for task, builder in BUILDERS.items():
        for split, rows in builder().items():
            _write(out / task / f"{split}.jsonl", rows)
            print(f"{task}/{split}.jsonl: {len(rows)} rows")


if __name__ == "__main__":
    main()
